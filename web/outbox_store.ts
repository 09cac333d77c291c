/**
 * The browser's copy of what one account has not sent yet: the outbox (messages
 * not yet accepted by the server, and those it refused, until the user retries,
 * edits or discards them) and each chat's draft. Both are kept under keys that
 * carry the user id, so another account signed in on the same browser never
 * reads them. Every call reads and writes the storage afresh (no cache), so two
 * tabs of the same account do not undo each other's changes.
 */
import type { Message, ReplyPreview, Target } from "../shared/types.ts";

/** The part of the Web Storage API the store uses (`localStorage`, or a fake in tests). */
export type StorageLike = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** A message kept until the server accepts it; `failed` says why the server refused it. */
export interface StoredSend {
  clientMsgId: string;
  conversationId: string;
  to: Target;
  content: Message["content"];
  /** The message it answers. */
  replyTo?: ReplyPreview;
  failed?: string;
  /** When it was first handed to the server (ms); a retry starts afresh. */
  queuedAt?: number;
}

/** The key of an account's outbox. */
export function outboxKey(userId: string): string {
  return `im.outbox.${userId}`;
}

/** The key of an account's drafts. */
export function draftsKey(userId: string): string {
  return `im.drafts.${userId}`;
}

/** One account's outbox and drafts in a Storage. */
export class OutboxStore {
  readonly #storage: StorageLike;
  readonly #outbox: string;
  readonly #drafts: string;

  constructor(storage: StorageLike, userId: string) {
    this.#storage = storage;
    this.#outbox = outboxKey(userId);
    this.#drafts = draftsKey(userId);
  }

  /** The kept messages, oldest first. */
  sends(): StoredSend[] {
    const list = this.#read(this.#outbox);
    return Array.isArray(list) ? list.filter(isStoredSend) : [];
  }

  /** Keeps a message, or replaces the one of the same client message id in its place. */
  put(send: StoredSend): void {
    const list = this.sends();
    const at = list.findIndex((s) => s.clientMsgId === send.clientMsgId);
    if (at === -1) list.push(send);
    else list[at] = send;
    this.#write(this.#outbox, list);
  }

  /** Forgets a message (accepted, or discarded). */
  remove(clientMsgId: string): void {
    const list = this.sends();
    const left = list.filter((s) => s.clientMsgId !== clientMsgId);
    if (left.length !== list.length) this.#write(this.#outbox, left);
  }

  /** How many kept messages still wait to be sent (refused ones not counted). */
  waiting(): number {
    return this.sends().filter((s) => s.failed === undefined).length;
  }

  /** A chat's draft ("" when none). */
  draft(conversationId: string): string {
    const drafts = this.#allDrafts();
    return drafts[conversationId] ?? "";
  }

  /** Keeps a chat's draft; an empty one is forgotten. */
  setDraft(conversationId: string, text: string): void {
    const drafts = this.#allDrafts();
    if ((drafts[conversationId] ?? "") === text) return;
    if (text) drafts[conversationId] = text;
    else delete drafts[conversationId];
    this.#write(this.#drafts, drafts);
  }

  /** Forgets the outbox and every draft of the account (on logging out). */
  clear(): void {
    this.#storage.removeItem(this.#outbox);
    this.#storage.removeItem(this.#drafts);
  }

  #allDrafts(): Record<string, string> {
    const value = this.#read(this.#drafts);
    if (!value || typeof value !== "object" || Array.isArray(value)) return {};
    const drafts: Record<string, string> = {};
    for (const [id, text] of Object.entries(value)) {
      if (typeof text === "string") drafts[id] = text;
    }
    return drafts;
  }

  /** What a key holds, or null when it is missing or not JSON (written by something else). */
  #read(key: string): unknown {
    try {
      return JSON.parse(this.#storage.getItem(key) ?? "null");
    } catch {
      return null;
    }
  }

  /** Writes a key; a full or refused storage loses the copy, not the session's own state. */
  #write(key: string, value: unknown): void {
    try {
      this.#storage.setItem(key, JSON.stringify(value));
    } catch {
      // Quota exceeded or storage disabled: the page still works, without surviving a reload.
    }
  }
}

function isStoredSend(value: unknown): value is StoredSend {
  const s = value as Partial<StoredSend> | null;
  return typeof s === "object" && s !== null && typeof s.clientMsgId === "string" &&
    typeof s.conversationId === "string" && typeof s.to?.id === "string" &&
    (s.to.type === "user" || s.to.type === "group") && typeof s.content === "object" &&
    s.content !== null && (s.failed === undefined || typeof s.failed === "string") &&
    (s.queuedAt === undefined || typeof s.queuedAt === "number");
}
