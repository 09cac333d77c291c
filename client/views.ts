/**
 * The views the application asked for (`ImClient.view()`), by conversation id:
 * each starts with a fetch of the conversation's latest page and read marks,
 * then takes whatever the client hands it; every change is reported. Only
 * conversations asked for are kept, so memory grows with those alone.
 */
import type { Message, ReadMark } from "../shared/types.ts";
import { ImError } from "./http.ts";
import { type ConversationView, ViewState } from "./view.ts";

/** Messages of the page a view starts with. */
export const VIEW_PAGE = 50;

/** The highest seq the API takes: history before it is the latest page. */
const LATEST = 2 ** 31 - 1;

/** What the views need of the client. */
export interface ViewHooks {
  /** A history page; the client hands its messages back through `apply()`. */
  history(conversationId: string, page: { before: number; limit: number }): Promise<unknown>;
  /** The read marks; the client hands them back through `read()`. */
  reads(conversationId: string): Promise<unknown>;
  /** A kept view changed. */
  changed(conversationId: string): void;
  error(error: { code: string; message: string }): void;
}

/** The kept views, and what feeds them. */
export class Views {
  readonly #hooks: ViewHooks;
  readonly #states = new Map<string, ViewState>();

  constructor(hooks: ViewHooks) {
    this.#hooks = hooks;
  }

  /** A conversation's view; the first call keeps it and starts its first fetch. */
  view(conversationId: string): ConversationView {
    let state = this.#states.get(conversationId);
    if (!state) this.#states.set(conversationId, state = new ViewState(conversationId));
    this.#start(state);
    return state.snapshot();
  }

  /** Forgets a conversation's view. */
  close(conversationId: string): void {
    this.#states.delete(conversationId);
  }

  /** Starts the first fetch of every view whose first fetch failed (a new session is ready). */
  retry(): void {
    for (const state of this.#states.values()) this.#start(state);
  }

  /** Messages of one conversation, received or fetched: applied if its view is kept. */
  apply(conversationId: string, messages: readonly Message[]): void {
    this.#change(conversationId, (state) => state.apply(messages));
  }

  /** A version of a message that is no entry to list (an edit's answer). */
  offer(message: Message): void {
    this.#change(message.conversationId, (state) => state.offer(message));
  }

  /** Read marks of one conversation; each only moves forward. */
  read(conversationId: string, marks: readonly ReadMark[]): void {
    this.#change(conversationId, (state) => {
      let changed = false;
      for (const { userId, seq } of marks) changed = state.read(userId, seq) || changed;
      return changed;
    });
  }

  /** This user recalled a message: every view that holds it shows it recalled. */
  recall(messageId: string, recalledBy: string): void {
    for (const state of this.#states.values()) {
      if (state.recall(messageId, recalledBy)) this.#hooks.changed(state.conversationId);
    }
  }

  #change(conversationId: string, change: (state: ViewState) => boolean): void {
    const state = this.#states.get(conversationId);
    if (state && change(state)) this.#hooks.changed(conversationId);
  }

  /** Fetches a view's first page and read marks, unless done or under way. */
  #start(state: ViewState): void {
    if (state.start !== "none") return;
    state.start = "fetching";
    const id = state.conversationId;
    Promise.all([
      this.#hooks.history(id, { before: LATEST, limit: VIEW_PAGE }),
      this.#hooks.reads(id),
    ]).then(
      () => state.start = "done",
      (error: Error) => {
        state.start = "none";
        const code = error instanceof ImError ? error.code : "unavailable";
        this.#hooks.error({ code, message: `Cannot load ${id}: ${error.message}` });
      },
    );
  }
}
