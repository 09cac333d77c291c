/**
 * The composer's text, as pure functions: the `@name` being typed (the mention picker's query),
 * a chosen mention put in its place, which chosen mentions the text still holds when sent, and the
 * typing line's words.
 */

/** A member the picker offers: `everyone` (owners) has the id "*". */
export interface Mentionable {
  id: string;
  name: string;
}

/** The id of the picker's "everyone" entry (`mentionAll`). */
export const EVERYONE = "*";

/** The `@…` being typed just before the caret: where it starts and what follows the `@`. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]{0,32})$/u.exec(before);
  if (!match) return null;
  return { start: before.length - match[2].length - 1, query: match[2] };
}

/** The members whose name holds the query or whose username starts with it, names starting with it first. */
export function mentionCandidates<T extends Mentionable & { username?: string }>(
  members: readonly T[],
  query: string,
  max = 8,
): T[] {
  const q = query.toLocaleLowerCase();
  const hits = members.filter((m) =>
    m.name.toLocaleLowerCase().includes(q) ||
    (m.username?.toLocaleLowerCase().startsWith(q) ?? false)
  );
  const starts = (m: T) => m.name.toLocaleLowerCase().startsWith(q) ? 0 : 1;
  return hits.sort((a, b) => starts(a) - starts(b)).slice(0, max);
}

/** The text with the `@query` at `start` replaced by `@name `, and where the caret goes. */
export function insertMention(
  text: string,
  start: number,
  caret: number,
  name: string,
): { text: string; caret: number } {
  const inserted = `@${name} `;
  return {
    text: text.slice(0, start) + inserted + text.slice(caret),
    caret: start + inserted.length,
  };
}

/** What a text sends of the mentions chosen for it: those whose `@name` it still holds. */
export function mentionsIn(
  text: string,
  chosen: readonly Mentionable[],
): { mentions: string[]; mentionAll: boolean } {
  const held = chosen.filter((c) => text.includes(`@${c.name}`));
  return {
    mentions: [...new Set(held.filter((c) => c.id !== EVERYONE).map((c) => c.id))].slice(0, 50),
    mentionAll: held.some((c) => c.id === EVERYONE),
  };
}

/** The typing line: "Ann is typing…", "Ann and Bob are typing…", "Ann, Bob and 2 others are typing…". */
export function typingText(names: readonly string[]): string {
  switch (names.length) {
    case 0:
      return "";
    case 1:
      return `${names[0]} is typing…`;
    case 2:
      return `${names[0]} and ${names[1]} are typing…`;
    case 3:
      return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
    default:
      return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing…`;
  }
}
