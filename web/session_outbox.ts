/**
 * A session's unsent messages: each send is kept in the browser (outbox_store.ts)
 * until the server accepts it, shown as waiting while the connection is down, sent
 * again by the SDK on each new connection and by the next start of the page (same
 * clientMsgId: the server stores a message once however often it comes), and, when
 * the server refuses it, kept with why until the user retries, edits or discards it.
 */
import type { ImClient } from "../client/mod.ts";
import type { ContentInput, Message, ReplyPreview } from "../shared/types.ts";
import { unsent } from "./outbox_state.ts";
import { OutboxStore, type StorageLike, type StoredSend } from "./outbox_store.ts";
import { failureText } from "./send_failure.ts";
import type { Event, State } from "./state.ts";

/**
 * What a kept message sends: its content as the server takes it (a stored file or image by its
 * media id), with the id of the message it answers. Only texts, images and files are sent.
 */
export function sendInput(content: Message["content"], replyTo?: string): ContentInput {
  const answer = replyTo ? { replyTo } : {};
  switch (content.type) {
    case "text":
      return {
        type: "text",
        text: content.text,
        ...answer,
        ...(content.mentions?.length ? { mentions: content.mentions } : {}),
        ...(content.mentionAll ? { mentionAll: true } : {}),
      };
    case "image":
      return { type: "image", mediaId: content.mediaId, ...answer };
    case "file":
      return { type: "file", mediaId: content.mediaId, name: content.name, ...answer };
    default:
      throw new Error(`A ${content.type} message is not sent by a client`);
  }
}

/** What the outbox needs of its session. */
export interface OutboxHost {
  client: Pick<ImClient, "connected" | "send" | "on" | "drop">;
  state(): State;
  dispatch(event: Event): void;
  /** Whether the session ended (its pending sends are then kept for the next one). */
  closed(): boolean;
}

/**
 * How long a kept message is sent again by itself. The server drops a repeated clientMsgId only
 * within 24 h, so an older one that may have arrived (its answer lost) waits for the user.
 */
export const RESEND_WINDOW_MS = 23 * 3600_000;
/** Why a message kept past the resend window was not sent again by itself. */
export const TOO_OLD =
  "Not sent for over a day. It may have reached the chat already: check, then retry or discard it.";

/** The outbox and drafts of one signed-in session. */
export class SessionOutbox {
  /** This account's unsent messages and drafts in the browser's storage. */
  readonly store: OutboxStore;
  readonly #host: OutboxHost;
  readonly #now: () => number;

  constructor(
    host: OutboxHost,
    userId: string,
    storage: StorageLike = localStorage,
    now: () => number = Date.now,
  ) {
    this.#host = host;
    this.store = new OutboxStore(storage, userId);
    this.#now = now;
  }

  /**
   * Marks pending sends waiting while the connection is down (the browser going
   * offline drops the socket, which might not notice by itself), and asks before
   * the tab closes with messages still to send. Returns what undoes it.
   */
  watch(): () => void {
    const { client } = this.#host;
    const link = (state: string) =>
      this.#host.dispatch({ type: "outbox_link", waiting: state !== "open" });
    const offline = () => {
      link("offline");
      if (client.connected) client.drop();
    };
    const unload = (e: BeforeUnloadEvent) => {
      if (unsent(this.#host.state()).length === 0) return;
      e.preventDefault();
      e.returnValue = "";
    };
    const off = client.on("state", link);
    addEventListener("offline", offline);
    addEventListener("beforeunload", unload);
    return () => {
      off();
      removeEventListener("offline", offline);
      removeEventListener("beforeunload", unload);
    };
  }

  /** Shows what the last visit left unsent, and sends again, in order, what was not refused. */
  restore(): void {
    for (const kept of this.store.sends()) {
      const old = kept.queuedAt !== undefined && this.#now() - kept.queuedAt > RESEND_WINDOW_MS;
      const send = old && kept.failed === undefined ? { ...kept, failed: TOO_OLD } : kept;
      if (send !== kept) this.store.put(send);
      const { clientMsgId, conversationId, content, failed, replyTo } = send;
      if (failed === undefined) void this.#transmit(send);
      else {
        this.#host.dispatch({
          type: "sending",
          pending: {
            clientMsgId,
            conversationId,
            content,
            failed,
            ...(replyTo ? { replyTo } : {}),
          },
        });
      }
    }
  }

  /** Sends a new message to a conversation of the list, answering `replyTo` if given. */
  async send(
    conversationId: string,
    content: Message["content"],
    replyTo?: ReplyPreview,
  ): Promise<void> {
    const to = this.#target(conversationId);
    if (!to) return;
    await this.#transmit({
      clientMsgId: crypto.randomUUID(),
      conversationId,
      to,
      content,
      ...(replyTo ? { replyTo } : {}),
    });
  }

  /** Sends a refused message again, under its clientMsgId (the server stored nothing of it). */
  retry(clientMsgId: string): void {
    const p = this.#host.state().pending.get(clientMsgId);
    if (!p?.failed) return;
    const kept = this.store.sends().find((s) => s.clientMsgId === clientMsgId);
    const to = kept?.to ?? this.#target(p.conversationId);
    if (!to) return;
    const { conversationId, content, replyTo } = p;
    void this.#transmit({
      clientMsgId,
      conversationId,
      to,
      content,
      ...(replyTo ? { replyTo } : {}),
    });
  }

  /** Forgets a refused message. */
  discard(clientMsgId: string): void {
    this.store.remove(clientMsgId);
    this.#host.dispatch({ type: "discard", clientMsgId });
  }

  /**
   * Takes a refused text back to edit: it goes, and the chat's draft becomes its
   * text, before whatever the draft held. Returns the new draft.
   */
  edit(clientMsgId: string): string | null {
    const p = this.#host.state().pending.get(clientMsgId);
    if (!p?.failed || p.content.type !== "text") return null;
    const draft = this.store.draft(p.conversationId);
    const text = draft ? `${p.content.text}\n${draft}` : p.content.text;
    this.store.setDraft(p.conversationId, text);
    this.discard(clientMsgId);
    return text;
  }

  /** Whether logging out may go on: it deletes messages not yet accepted, so ask if there are. */
  mayLogOut(): boolean {
    const n = [...this.#host.state().pending.values()].filter((p) => p.sentId === undefined)
      .length;
    if (n === 0) return true;
    const them = n === 1 ? "1 message is not sent" : `${n} messages are not sent`;
    return confirm(`${them}. Logging out deletes unsent messages from this browser. Log out?`);
  }

  #target(conversationId: string): StoredSend["to"] | null {
    const conv = this.#host.state().conversations.get(conversationId);
    if (!conv) return null;
    return conv.type === "group"
      ? { type: "group", id: conversationId.slice(2) }
      : { type: "user", id: conv.peer!.id };
  }

  async #transmit(send: StoredSend): Promise<void> {
    const { client } = this.#host;
    const dispatch = (event: Event) => this.#host.dispatch(event);
    const { clientMsgId, conversationId, to, content, replyTo } = send;
    this.store.put({ ...send, queuedAt: send.queuedAt ?? this.#now() });
    const waiting = !client.connected;
    dispatch({
      type: "sending",
      pending: { clientMsgId, conversationId, content, waiting, ...(replyTo ? { replyTo } : {}) },
    });
    try {
      const { id } = await client.send(to, sendInput(content, replyTo?.id), clientMsgId);
      this.store.remove(clientMsgId);
      dispatch({ type: "sent", clientMsgId, id });
    } catch (error) {
      // The session ended (logged out, signed out): the message stays for the next one.
      if (this.#host.closed()) return;
      const failed = failureText(error, send);
      this.store.put({ ...send, failed });
      dispatch({ type: "send_failed", clientMsgId, error: failed });
    }
  }
}
