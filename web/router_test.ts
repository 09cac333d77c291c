/// <reference lib="deno.ns" />
import { assert, assertEquals } from "../tests/assert.ts";
import { formatRoute, HOME, parseRoute, type Route, sameRoute } from "./router.ts";

const routes: Route[] = [
  { tab: "chats", chat: null },
  { tab: "friends", chat: null },
  { tab: "groups", chat: null },
  { tab: "profile", chat: null },
  { tab: "chats", chat: "u:101:202" },
  { tab: "chats", chat: "g:303" },
  { tab: "groups", chat: "g:303" },
  { tab: "friends", chat: "odd?id#and%" },
];

Deno.test("formatRoute() gives each tab and each chat its own path", () => {
  assertEquals(routes.slice(0, 7).map(formatRoute), [
    "/chats",
    "/friends",
    "/groups",
    "/profile",
    "/chat/u:101:202",
    "/chat/g:303",
    "/chat/g:303?tab=groups",
  ]);
  assertEquals(new Set(routes.map(formatRoute)).size, routes.length);
});

Deno.test("parseRoute() reads back every path formatRoute() writes", () => {
  for (const route of routes) {
    const url = new URL(formatRoute(route), "http://host");
    assertEquals(parseRoute(url.pathname, url.search), route, formatRoute(route));
  }
});

Deno.test("parseRoute() takes escaped ids and a trailing slash", () => {
  assertEquals(parseRoute("/chat/u%3A1%3A2"), { tab: "chats", chat: "u:1:2" });
  assertEquals(parseRoute("/friends/"), { tab: "friends", chat: null });
  assertEquals(parseRoute("/chat/g:1/", "?tab=profile"), { tab: "profile", chat: "g:1" });
});

Deno.test("parseRoute() goes home for what it does not know", () => {
  for (
    const [path, search] of [
      ["/", ""],
      ["/settings", ""],
      ["/chat/", ""],
      ["/chat/%E0%A4%A", ""],
      ["/chat/a/b", ""],
      [`/chat/${"x".repeat(65)}`, ""],
      ["/Chats", ""],
    ]
  ) {
    assertEquals(parseRoute(path, search), HOME, path);
  }
  assertEquals(parseRoute("/chat/g:1", "?tab=nope"), { tab: "chats", chat: "g:1" });
});

Deno.test("sameRoute() compares the tab and the chat", () => {
  assert(sameRoute({ tab: "chats", chat: "g:1" }, { tab: "chats", chat: "g:1" }));
  assert(!sameRoute({ tab: "chats", chat: "g:1" }, { tab: "groups", chat: "g:1" }));
  assert(!sameRoute({ tab: "chats", chat: null }, { tab: "chats", chat: "g:1" }));
});
