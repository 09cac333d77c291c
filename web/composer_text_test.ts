/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import {
  EVERYONE,
  insertMention,
  mentionCandidates,
  mentionQuery,
  mentionsIn,
  typingText,
} from "./composer_text.ts";

Deno.test("mentionQuery() finds the @name being typed before the caret, not an address", () => {
  assertEquals(mentionQuery("hi @an", 6), { start: 3, query: "an" });
  assertEquals(mentionQuery("@", 1), { start: 0, query: "" });
  assertEquals(mentionQuery("hi @an and more", 6), { start: 3, query: "an" });
  assertEquals(mentionQuery("mail ann@example.com", 20), null);
  assertEquals(mentionQuery("hi @ann done", 12), null);
  assertEquals(mentionQuery("@ann", 0), null);
});

Deno.test("mentionCandidates() filters by name, or username prefix, prefix matches first", () => {
  const members = [
    { id: "1", name: "Joanna", username: "jo" },
    { id: "2", name: "Anna", username: "anna" },
    { id: "3", name: "Bob", username: "bobby" },
  ];
  assertEquals(mentionCandidates(members, "an").map((m) => m.id), ["2", "1"]);
  assertEquals(mentionCandidates(members, "BOBB").map((m) => m.id), ["3"]);
  // A username matches from its start only: "ob" is in "bobby" but names nobody.
  assertEquals(mentionCandidates(members, "obb").map((m) => m.id), []);
  assertEquals(mentionCandidates(members, "").length, 3);
  assertEquals(mentionCandidates(members, "", 2).length, 2);
});

Deno.test("insertMention() replaces the query and puts the caret after the name", () => {
  assertEquals(insertMention("hi @an!", 3, 6, "Anna"), { text: "hi @Anna !", caret: 9 });
});

Deno.test("mentionsIn() sends only the chosen mentions the text still holds", () => {
  const chosen = [
    { id: "1", name: "Anna" },
    { id: "2", name: "Bob" },
    { id: EVERYONE, name: "everyone" },
  ];
  assertEquals(mentionsIn("@Anna look", chosen), { mentions: ["1"], mentionAll: false });
  assertEquals(mentionsIn("@everyone and @Bob", chosen), { mentions: ["2"], mentionAll: true });
  assertEquals(mentionsIn("nobody", chosen), { mentions: [], mentionAll: false });
});

Deno.test("typingText() names up to three, then counts the others", () => {
  assertEquals(typingText([]), "");
  assertEquals(typingText(["Ann"]), "Ann is typing…");
  assertEquals(typingText(["Ann", "Bob"]), "Ann and Bob are typing…");
  assertEquals(typingText(["Ann", "Bob", "Cy"]), "Ann, Bob and Cy are typing…");
  assertEquals(typingText(["Ann", "Bob", "Cy", "Di"]), "Ann, Bob and 2 others are typing…");
});
