/**
 * The page's URLs: each tab and each chat has its own path, so Back, Forward,
 * a reload and a link reach the same screen. Pure functions only; the history
 * wiring is in navigation.ts, and the server answers these paths with the page
 * (api/web.ts).
 *
 *   /chats  /friends  /groups  /profile   a tab, no chat open
 *   /chat/<conversationId>                a chat, beside the Chats tab
 *   /chat/<conversationId>?tab=friends    a chat, beside another tab (a wide screen shows both)
 *   /                                     the sign-in screen; signed in, the Chats tab
 */
import type { Tab } from "./state.ts";

/** What a URL shows: a tab, and the open chat or null. */
export interface Route {
  tab: Tab;
  chat: string | null;
}

const TABS: readonly Tab[] = ["chats", "friends", "groups", "profile"];

/** Where the page starts when signed in at `/` or at a path it does not know. */
export const HOME: Route = { tab: "chats", chat: null };

/** A conversation id in a path: as it is, but for what would not be one path segment. */
function encodeId(id: string): string {
  return encodeURIComponent(id).replaceAll("%3A", ":");
}

function decodeId(segment: string): string | null {
  try {
    const id = decodeURIComponent(segment);
    return id.length > 0 && id.length <= 64 && !/[\s/]/.test(id) ? id : null;
  } catch {
    return null; // Malformed escapes.
  }
}

function isTab(name: string | null): name is Tab {
  return TABS.includes(name as Tab);
}

/** The route of a path and query (`location.pathname`, `location.search`); HOME when unknown. */
export function parseRoute(pathname: string, search = ""): Route {
  const tab = new URLSearchParams(search).get("tab");
  const chat = /^\/chat\/([^/]+)\/?$/.exec(pathname);
  if (chat) {
    const id = decodeId(chat[1]);
    return id ? { tab: isTab(tab) ? tab : "chats", chat: id } : HOME;
  }
  const name = /^\/([a-z]+)\/?$/.exec(pathname)?.[1] ?? null;
  return isTab(name) ? { tab: name, chat: null } : HOME;
}

/** The path (and query) of a route. */
export function formatRoute(route: Route): string {
  if (route.chat === null) return `/${route.tab}`;
  const path = `/chat/${encodeId(route.chat)}`;
  return route.tab === "chats" ? path : `${path}?tab=${route.tab}`;
}

/** Whether two routes show the same. */
export function sameRoute(a: Route, b: Route): boolean {
  return a.tab === b.tab && a.chat === b.chat;
}
