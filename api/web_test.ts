/// <reference lib="deno.ns" />
import { assert } from "../tests/assert.ts";
import { formatRoute, type Route } from "../web/router.ts";
import { isPagePath } from "./web.ts";

const routes: Route[] = [
  { tab: "chats", chat: null },
  { tab: "friends", chat: null },
  { tab: "groups", chat: null },
  { tab: "profile", chat: null },
  { tab: "chats", chat: "u:101:202" },
  { tab: "groups", chat: "g:303" },
  { tab: "friends", chat: "odd?id#and%" },
];

Deno.test("isPagePath() serves the page at every path of a route, and only there", () => {
  for (const route of routes) {
    const url = new URL(formatRoute(route), "http://host");
    assert(isPagePath(url.pathname), url.pathname);
  }
  assert(isPagePath("/"));
  for (const path of ["/api/nope", "/api/chats", "/assets/app.js", "/chat", "/chat/a/b", "/x"]) {
    assert(!isPagePath(path), path);
  }
});
