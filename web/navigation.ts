/**
 * The history wiring of a signed-in page: the URL follows the open tab and chat
 * (router.ts), Back and Forward move between them, and a reload or a link opens
 * the chat it names once the lists are loaded. Opening a chat pushes an entry;
 * leaving a chat for the list it was opened from goes back to that entry, so on
 * a phone Back returns from a chat to the list and Forward reopens it.
 */
import { formatRoute, HOME, parseRoute, type Route, sameRoute } from "./router.ts";
import type { Session } from "./session.ts";
import type { State } from "./state.ts";

/** Said when a URL names a chat this user cannot open. */
export const CHAT_UNAVAILABLE =
  "That chat is not available: it may have been removed, or you are no longer in it.";

/** What the history keeps with each entry of ours: the path of the entry below it. */
interface Entry {
  im: { from: string | null };
}

/** The route the state shows. */
export function routeOf(state: State): Route {
  const open = state.active !== null && state.conversations.has(state.active);
  return { tab: state.tab, chat: open ? state.active : null };
}

/** The route of the current URL. */
export function currentRoute(): Route {
  return parseRoute(location.pathname, location.search);
}

/** Keeps the URL and a session in step; `close()` stops. */
export class Navigation {
  readonly #session: Session;
  readonly #wanted: Route;
  #shown: Route = HOME;
  #ready = false;
  #applying = false;
  readonly #off: (() => void)[] = [];

  /** Starts on `wanted`'s tab at once; its chat waits for `restore()`. */
  constructor(session: Session, wanted: Route) {
    this.#session = session;
    this.#wanted = wanted;
    session.dispatch({ type: "tab", tab: wanted.tab });
    const pop = () => this.#apply(currentRoute());
    addEventListener("popstate", pop);
    this.#off.push(
      () => removeEventListener("popstate", pop),
      session.subscribe((state) => this.#follow(state)),
    );
  }

  /**
   * Once the lists are loaded: opens the wanted chat if this user may (else
   * stays on the list, with a plain notice), unless the user went elsewhere
   * meanwhile. A chat goes over its list in the history, so Back leads to the list.
   */
  restore(): void {
    const state = this.#session.state;
    let route = this.#wanted;
    if (state.tab !== route.tab || state.active !== null) {
      route = routeOf(state); // Moved on while the lists loaded: that wins.
    } else if (route.chat !== null && !this.#open(route.chat)) {
      route = { ...route, chat: null };
      this.#session.dispatch({ type: "notice", text: CHAT_UNAVAILABLE });
    } else if (route.chat !== null) {
      this.#session.dispatch({ type: "tab", tab: route.tab }); // Opening chose the Chats tab.
    }
    const list = { tab: route.tab, chat: null };
    history.replaceState({ im: { from: null } } satisfies Entry, "", formatRoute(list));
    if (route.chat !== null) this.#push(list, route);
    this.#shown = routeOf(this.#session.state);
    this.#ready = true;
  }

  /** The state changed: a new tab or chat gets its URL. */
  #follow(state: State): void {
    if (!this.#ready || this.#applying) return;
    const next = routeOf(state);
    if (sameRoute(next, this.#shown)) return;
    const from = (history.state as Entry | null)?.im?.from;
    const shown = this.#shown;
    this.#shown = next;
    if (shown.chat !== null && next.chat === null && from === formatRoute(next)) {
      history.back(); // Back to the list the chat was opened from; Forward reopens it.
    } else {
      this.#push(shown, next);
    }
  }

  #push(from: Route, to: Route): void {
    history.pushState({ im: { from: formatRoute(from) } } satisfies Entry, "", formatRoute(to));
  }

  /** Back or Forward: the state follows the URL. */
  #apply(route: Route): void {
    if (!this.#ready) return;
    this.#applying = true;
    try {
      const refused = route.chat !== null && !this.#open(route.chat);
      if (refused) {
        route = { ...route, chat: null };
        history.replaceState(history.state, "", formatRoute(route));
      }
      if (route.chat === null && this.#session.state.active !== null) {
        this.#session.dispatch({ type: "close_chat" });
      }
      this.#session.dispatch({ type: "tab", tab: route.tab });
      if (refused) this.#session.dispatch({ type: "notice", text: CHAT_UNAVAILABLE });
    } finally {
      this.#applying = false;
    }
    this.#shown = routeOf(this.#session.state);
  }

  #open(chat: string): boolean {
    if (this.#session.state.active === chat) return true;
    return this.#session.openById(chat);
  }

  /** Stops following the history. */
  close(): void {
    for (const off of this.#off.splice(0)) off();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
