/**
 * Links in message text: web addresses (http and https only) and e-mail addresses become links
 * that open in a new tab without telling the page who opened them; everything else stays text.
 * Nothing is ever parsed as markup: each part is a JSX text child or an `href` built here, and a
 * part is a link only when the URL parser agrees its scheme is http, https or mailto, so
 * `javascript:` and its disguises never are.
 */
import type { ComponentChildren } from "preact";

/** A piece of text, and where it links to when it is a link. */
export interface Part {
  text: string;
  href?: string;
}

const SCHEMES = new Set(["http:", "https:", "mailto:"]);
/** A web address, or an e-mail address (optionally written with its `mailto:`). */
const LINK =
  /\bhttps?:\/\/[^\s<>"'`]+|(?:\bmailto:)?[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.[\p{L}]{2,}/giu;
/** What usually ends a sentence rather than an address. */
const TRAILING = /[.,;:!?'"»”’)\]]+$/u;

/** An address without the punctuation after it; a ")" stays when the address opened one. */
function trimmed(raw: string): string {
  let text = raw.replace(TRAILING, "");
  while (raw.length > text.length) {
    const next = raw[text.length];
    const opens = text.split("(").length - text.split(")").length;
    if (next === ")" && opens > 0) text += next;
    else break;
  }
  return text;
}

function hrefOf(text: string): string | null {
  const href = /^https?:/i.test(text) || /^mailto:/i.test(text) ? text : `mailto:${text}`;
  try {
    return SCHEMES.has(new URL(href).protocol) ? href : null;
  } catch {
    return null;
  }
}

/** Splits text into plain parts and links, in order; joined, the parts are the text. */
export function linkParts(text: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const link = trimmed(match[0]);
    const href = hrefOf(link);
    if (!href || link.length === 0) continue;
    if (match.index > at) parts.push({ text: text.slice(at, match.index) });
    parts.push({ text: link, href });
    at = match.index + link.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

/** The text with its links clickable. */
export function Linkified({ text }: { text: string }): ComponentChildren {
  return linkParts(text).map((part, i) =>
    part.href
      ? (
        <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
          {part.text}
        </a>
      )
      : part.text
  );
}
