/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import type { User } from "../shared/types.ts";
import { routeOf } from "./navigation.ts";
import { initialState, reduce } from "./state.ts";

const me: User = { id: "1", username: "ann", nickname: "Ann", avatar: null };
const bob: User = { id: "2", username: "bob", nickname: "Bob", avatar: null };

Deno.test("routeOf() is the tab, and the open chat once it is one of the list", () => {
  let state = reduce(initialState(me), { type: "tab", tab: "friends" });
  assertEquals(routeOf(state), { tab: "friends", chat: null });
  // Opened by id before the lists are in: not a chat of the list yet.
  state = reduce(state, { type: "open", conversationId: "u:1:2" });
  assertEquals(routeOf(state), { tab: "friends", chat: null });
  state = reduce(state, {
    type: "open",
    conversationId: "u:1:2",
    who: { type: "user", peer: bob },
  });
  assertEquals(routeOf(state), { tab: "chats", chat: "u:1:2" });
  state = reduce(state, { type: "close_chat" });
  assertEquals(routeOf(state), { tab: "chats", chat: null });
});
