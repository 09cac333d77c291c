/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import type { Message } from "../shared/types.ts";
import {
  highlight,
  NO_SEARCH,
  reduceSearch,
  SEARCH_PAGE,
  searchable,
  type SearchEvent,
  type SearchState,
} from "./message_search.ts";

const marked = (text: string, query: string) =>
  highlight(text, query).map((p) => p.match ? `[${p.text}]` : p.text).join("");

Deno.test("highlight() marks every match ignoring case, and the parts join to the text", () => {
  assertEquals(marked("Hello hello HELLO", "ell"), "H[ell]o h[ell]o H[ELL]O");
  assertEquals(marked("今天天气很好，明天天气也好", "天气"), "今天[天气]很好，明天[天气]也好");
  assertEquals(marked("no match here", "xyz"), "no match here");
  const text = "Ｈｅｌｌｏ  World\nagain";
  assertEquals(marked(text, "ｌｏ w"), "Ｈｅｌ[ｌｏ  W]orld\nagain");
  assertEquals(highlight(text, "lo w").map((p) => p.text).join(""), text);
  assertEquals(marked("aaaa", "aa"), "[aa][aa]");
  assertEquals(marked("😀 smile 😀", "😀 s"), "[😀 s]mile 😀");
});

Deno.test("highlight() keeps markup in a message as text: it is never parsed", () => {
  const parts = highlight("<img src=x onerror=alert(1)> img", "img");
  assertEquals(parts, [
    { text: "<", match: false },
    { text: "img", match: true },
    { text: " src=x onerror=alert(1)> ", match: false },
    { text: "img", match: true },
  ]);
});

Deno.test("searchable() asks only 2 to 100 characters, trimmed", () => {
  assertEquals(searchable(""), null);
  assertEquals(searchable(" a "), null);
  assertEquals(searchable("世"), null);
  assertEquals(searchable(" 世界 "), "世界");
  assertEquals(searchable("x".repeat(150)), "x".repeat(100));
});

function message(id: number): Message {
  return {
    id: String(id),
    conversationId: "u:1:2",
    seq: id,
    from: "2",
    to: { type: "user", id: "1" },
    content: { type: "text", text: `hello ${id}` },
    sentAt: id,
    clientMsgId: null,
  };
}

const run = (...events: SearchEvent[]): SearchState => events.reduce(reduceSearch, NO_SEARCH);

Deno.test("reduceSearch() hints under 2 characters, pages, and says the server's error", () => {
  assertEquals(run({ type: "typed", query: "h" }).status, "short");
  assertEquals(run({ type: "typed", query: "  " }).status, "idle");
  const full = Array.from({ length: SEARCH_PAGE }, (_, i) => message(100 - i));
  const first = run({ type: "typed", query: "he" }, {
    type: "page",
    query: "he",
    messages: full,
    append: false,
  });
  assertEquals([first.status, first.more, first.results.length], ["done", true, SEARCH_PAGE]);
  const events: SearchEvent[] = [
    { type: "more", query: "he" },
    { type: "page", query: "he", messages: [message(1)], append: true },
  ];
  const second = events.reduce(reduceSearch, first);
  assertEquals([second.more, second.results.length], [false, SEARCH_PAGE + 1]);
  const failed = reduceSearch(first, { type: "failed", query: "he", error: "Too many requests" });
  assertEquals([failed.status, failed.error], ["error", "Too many requests"]);
});

Deno.test("reduceSearch() ignores the answer to a query no longer typed", () => {
  const state = run(
    { type: "typed", query: "he" },
    { type: "typed", query: "hel" },
    { type: "page", query: "he", messages: [message(1)], append: false },
  );
  assertEquals([state.status, state.results], ["loading", []]);
});
