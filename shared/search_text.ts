/**
 * What message search matches (PROTOCOL.md, Conversations: "Search"): `q` as a
 * case-insensitive substring of a text message, in every script. Chinese and
 * Japanese have no spaces between words, so no word tokenizer serves them, and
 * the trigram indexes the engines offer (PostgreSQL's `pg_trgm`, SQLite FTS5's
 * `trigram`) cannot look up a two-character query, the commonest length of a
 * Chinese word ("世界"). Both stores therefore index a text's overlapping
 * **bigrams** (pairs of adjacent code points) as the tokens of the engine's own
 * full-text index, with positions, and look up `q` as the phrase of its
 * bigrams: a phrase of consecutive overlapping bigrams occurs exactly where `q`
 * occurs as a substring. Both sides are folded the same way first, here, so that
 * the two engines cannot disagree on what matches.
 */

/** Fewest and most code points a query may have, after trimming. */
export const SEARCH_QUERY_MIN = 2;
export const SEARCH_QUERY_MAX = 100;

const SPACES = /\s+/gu;

/**
 * A text as search compares it: NFKC (full-width "Ｈｅｌｌｏ" and "Hello" are one
 * text, as are composed and decomposed accents), lower case, every run of white
 * space one space, trimmed.
 */
export function foldForSearch(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(SPACES, " ").trim();
}

/**
 * The overlapping bigrams of a folded text, in order: "hello" → he, el, ll, lo.
 * A text of one code point has none (no query of two can be inside it).
 */
export function bigrams(folded: string): string[] {
  const points = Array.from(folded);
  const grams: string[] = [];
  for (let i = 0; i + 1 < points.length; i++) grams.push(points[i] + points[i + 1]);
  return grams;
}

/** Whether a folded query occurs in a text (the check every candidate the index gives passes). */
export function matchesSearch(text: string, foldedQuery: string): boolean {
  return foldForSearch(text).includes(foldedQuery);
}
