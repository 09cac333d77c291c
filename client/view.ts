/**
 * The applied view of a conversation (PROTOCOL.md, Version 2, Messages): its
 * messages with every edit and recall applied and every reply preview showing
 * the quoted message's current version, plus its participants' read marks.
 *
 * It is fed whatever the client receives, in any order and any number of
 * times: pushes, gap repair, catch-up and history pages. Each message id keeps
 * its newest known version (a recall beats any edit; among edits the later
 * `editedAt` wins; of two as new, the one received last), whether it came as
 * the message itself or as the `target` of an `update` entry, so an update
 * that arrives before its target still wins and a client that was offline ends
 * in the same state as one that was online. Update entries themselves are not
 * listed.
 */
import type { Message, MessageRef } from "../shared/types.ts";
import { isFullTarget, previewOf } from "../shared/message_view.ts";

/** What the application reads of one conversation. */
export interface ConversationView {
  readonly conversationId: string;
  /**
   * The messages this client has received or fetched, ascending by seq, in
   * their current version; update entries are not listed (they are applied).
   */
  readonly messages: readonly Message[];
  /** Each participant's read mark (user id → seq); marks never move back. */
  readonly reads: ReadonlyMap<string, number>;
}

/**
 * Which version of one message is newer (> 0: `a`): recalled beats any edit
 * (a recall is final: two recalled versions are as new), a later edit an earlier one.
 */
function compareVersions(a: Message, b: Message): number {
  const recalled = Number(a.content.type === "recalled") - Number(b.content.type === "recalled");
  if (recalled || a.content.type === "recalled") return recalled;
  return (a.editedAt ?? 0) - (b.editedAt ?? 0);
}

/**
 * Whether two versions as new as each other show the same. When they do not
 * (a reply preview fetched later, two edits in one millisecond, the server's
 * recall after this client's guess), the later answer is taken: it knows more.
 */
function sameVersion(a: Message, b: Message): boolean {
  return a.editedAt === b.editedAt && a.replyTo?.preview === b.replyTo?.preview &&
    JSON.stringify(a.content) === JSON.stringify(b.content);
}

/**
 * The state behind one conversation's view. Memory grows with the messages it
 * was given (the ones the application fetched or received while it watched)
 * and the update entries among them, nothing else.
 */
export class ViewState {
  readonly conversationId: string;
  /** Whether the client fetched the view's first page and read marks (`ImClient.view()`). */
  start: "none" | "fetching" | "done" = "none";
  /** The newest known version of every message id seen, listed or not. */
  readonly #versions = new Map<string, Message>();
  /** The listed messages as `{id, seq}`, ascending by seq. */
  readonly #listed: MessageRef[] = [];
  readonly #listedIds = new Set<string>();
  /** Quoted message id → the ids of messages whose `replyTo` names it. */
  readonly #quotedBy = new Map<string, Set<string>>();
  readonly #reads = new Map<string, number>();
  #snapshot: ConversationView | null = null;

  constructor(conversationId: string) {
    this.conversationId = conversationId;
  }

  /** Takes messages of this conversation; true when the view changed. */
  apply(messages: Iterable<Message>): boolean {
    let changed = false;
    for (const message of messages) {
      if (message.conversationId !== this.conversationId) continue;
      const c = message.content;
      if (c.type === "update") {
        // `{id, seq}` only: a message this reader may not read (since_join), nothing to apply.
        if (isFullTarget(c.target)) changed = this.#offer(c.target) || changed;
        continue;
      }
      changed = this.#list(message) || changed;
      changed = this.#offer(message) || changed;
    }
    if (changed) this.#snapshot = null;
    return changed;
  }

  /**
   * Takes a version of a message that is not itself an entry to list (an edit's
   * answer): applied if the message is listed or quoted, or listed later.
   */
  offer(message: Message): boolean {
    if (message.conversationId !== this.conversationId) return false;
    const changed = this.#offer(message);
    if (changed) this.#snapshot = null;
    return changed;
  }

  /**
   * Shows a message recalled by `recalledBy` at once (a recall's answer carries
   * no message); the update entry that follows replaces it. Nothing when the
   * message is unknown or recalled already.
   */
  recall(id: string, recalledBy: string): boolean {
    const held = this.#versions.get(id);
    if (!held || held.content.type === "recalled") return false;
    return this.offer({ ...held, content: { type: "recalled", recalledBy } });
  }

  /** Takes a read mark; true when it moved the user's mark forward. */
  read(userId: string, seq: number): boolean {
    if (seq <= (this.#reads.get(userId) ?? 0)) return false;
    this.#reads.set(userId, seq);
    this.#snapshot = null;
    return true;
  }

  /** The current view: the same object until the next change. */
  snapshot(): ConversationView {
    this.#snapshot ??= Object.freeze({
      conversationId: this.conversationId,
      messages: Object.freeze(this.#listed.map(({ id }) => this.#versions.get(id)!)),
      reads: new Map(this.#reads) as ReadonlyMap<string, number>,
    });
    return this.#snapshot;
  }

  /** Adds a message's place to the list (binary insertion: pages arrive in any order). */
  #list({ id, seq }: Message): boolean {
    if (this.#listedIds.has(id)) return false;
    let low = 0;
    let high = this.#listed.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#listed[mid].seq < seq) low = mid + 1;
      else high = mid;
    }
    this.#listed.splice(low, 0, { id, seq });
    this.#listedIds.add(id);
    return true;
  }

  /**
   * Keeps `candidate` if it is newer than the version held, or as new but not
   * the same; then refreshes the previews of the messages quoting it. True when
   * a listed message changed.
   */
  #offer(offered: Message): boolean {
    const candidate = this.#withPreview(offered);
    const held = this.#versions.get(candidate.id);
    if (held) {
      const order = compareVersions(candidate, held);
      if (order < 0) return false;
      if (order === 0 && sameVersion(held, candidate)) return false;
    }
    const quoted = candidate.replyTo?.id;
    if (quoted !== undefined) {
      const set = this.#quotedBy.get(quoted) ?? new Set<string>();
      set.add(candidate.id);
      this.#quotedBy.set(quoted, set);
    }
    this.#versions.set(candidate.id, candidate);
    let changed = this.#listedIds.has(candidate.id);
    for (const id of this.#quotedBy.get(candidate.id) ?? []) {
      const quoting = this.#versions.get(id)!;
      const refreshed = this.#withPreview(quoting);
      if (refreshed === quoting) continue;
      this.#versions.set(id, refreshed);
      changed ||= this.#listedIds.has(id);
    }
    return changed;
  }

  /** `message` with its reply preview from the quoted message's known version (null stays null). */
  #withPreview(message: Message): Message {
    const reply = message.replyTo;
    if (!reply || reply.preview === null) return message;
    const quoted = this.#versions.get(reply.id);
    if (!quoted) return message;
    const preview = previewOf(quoted.content);
    if (preview === reply.preview) return message;
    return { ...message, replyTo: { ...reply, preview } };
  }
}
