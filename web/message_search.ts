/**
 * Message search in the web client (PROTOCOL.md, Conversations: "Search"): the state of one
 * search box (what was asked, what came, whether more may come) as a pure reducer, and the
 * parts of a found text that match, for highlighting. The server decides what matches; the
 * highlight finds the same places with the same folding (shared/search_text.ts) applied to each
 * character, so it can map them back onto the text as written.
 */
import type { Message } from "../shared/types.ts";
import { foldForSearch, SEARCH_QUERY_MAX, SEARCH_QUERY_MIN } from "../shared/search_text.ts";

/** Results asked for per page. */
export const SEARCH_PAGE = 20;
/** What a too short query shows instead of results. */
export const SEARCH_HINT = `Type at least ${SEARCH_QUERY_MIN} characters`;

/** One search box's state. */
export interface SearchState {
  /** The query as typed. */
  query: string;
  /** "short": under 2 characters (the hint shows); "idle": nothing typed. */
  status: "idle" | "short" | "loading" | "done" | "error";
  results: Message[];
  /** A full page came: "Load more" asks for the next. */
  more: boolean;
  /** The server's refusal in plain words (status "error"). */
  error: string;
  /** Whether a next page is on the way (the results stay shown meanwhile). */
  loadingMore: boolean;
}

/** What happens to a search box. */
export type SearchEvent =
  | { type: "typed"; query: string }
  | { type: "page"; query: string; messages: Message[]; append: boolean }
  | { type: "failed"; query: string; error: string }
  | { type: "more"; query: string };

/** A box with nothing typed. */
export const NO_SEARCH: SearchState = {
  query: "",
  status: "idle",
  results: [],
  more: false,
  error: "",
  loadingMore: false,
};

/** The query the server is asked, or null when it is too short (or nothing was typed). */
export function searchable(query: string): string | null {
  const trimmed = query.trim();
  const length = [...trimmed].length;
  if (length < SEARCH_QUERY_MIN) return null;
  // Longer than the server takes: the first 100 characters (a paste of a long text).
  return length > SEARCH_QUERY_MAX ? [...trimmed].slice(0, SEARCH_QUERY_MAX).join("") : trimmed;
}

/** The state after an event; answers to a query no longer typed are ignored. */
export function reduceSearch(state: SearchState, event: SearchEvent): SearchState {
  switch (event.type) {
    case "typed": {
      const query = event.query;
      if (query.trim() === "") return { ...NO_SEARCH, query };
      if (searchable(query) === null) return { ...NO_SEARCH, query, status: "short" };
      return { ...NO_SEARCH, query, status: "loading" };
    }
    case "more":
      if (event.query !== state.query || !state.more) return state;
      return { ...state, loadingMore: true };
    case "page": {
      if (event.query !== state.query) return state;
      const results = event.append ? [...state.results, ...event.messages] : event.messages;
      return {
        ...state,
        status: "done",
        results,
        more: event.messages.length >= SEARCH_PAGE,
        error: "",
        loadingMore: false,
      };
    }
    case "failed":
      if (event.query !== state.query) return state;
      return { ...state, status: "error", error: event.error, loadingMore: false };
  }
}

/** A piece of a text: matched (shown marked) or not. */
export interface Part {
  text: string;
  match: boolean;
}

/**
 * `text` cut into parts where every occurrence of `query` (folded as search folds: case,
 * width, runs of white space) is a matched part; the parts joined are `text` again. A text
 * without a match is one unmatched part.
 */
export function highlight(text: string, query: string): Part[] {
  const needle = foldForSearch(query);
  const points = [...text];
  if (needle === "" || points.length === 0) return [{ text, match: false }];
  // The folded text, and for each of its UTF-16 units the code point of `text` it came from.
  let folded = "";
  const origin: number[] = [];
  let space = false;
  points.forEach((point, i) => {
    const isSpace = /\s/u.test(point);
    const piece = isSpace ? (space ? "" : " ") : foldForSearch(point) || point.toLowerCase();
    space = isSpace;
    folded += piece;
    for (let k = 0; k < piece.length; k++) origin.push(i);
  });
  const parts: Part[] = [];
  let from = 0; // The first code point not yet in a part.
  for (
    let at = folded.indexOf(needle);
    at !== -1;
    at = folded.indexOf(needle, at + needle.length)
  ) {
    const start = origin[at];
    const end = origin[at + needle.length - 1] + 1;
    if (start < from) continue; // Inside the previous match (folding joined characters).
    if (start > from) parts.push({ text: points.slice(from, start).join(""), match: false });
    parts.push({ text: points.slice(start, end).join(""), match: true });
    from = end;
  }
  if (from < points.length) parts.push({ text: points.slice(from).join(""), match: false });
  return parts;
}
