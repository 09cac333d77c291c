/**
 * A signed-in session: the SDK client, the state, and the actions the panels
 * call. Server events and answers become state events (state.ts); whoever
 * subscribes is told of each new state. The session ends when the user logs out
 * or the server closes the socket with 4401 (signed out elsewhere, token expired).
 */
import type { ImClient } from "../client/mod.ts";
import type {
  ConversationSettingsPatch,
  Group,
  Message,
  ReplyPreview,
  User,
} from "../shared/types.ts";
import { groupConversationId, privateConversationId } from "../shared/types.ts";
import { fileProblem, imageProblem, LIMITS, plainError } from "./errors.ts";
import { type Event, initialState, reduce, type State, TYPING_MS, unreadUpTo } from "./state.ts";
import { prefsKey } from "./notify.ts";
import { SessionOutbox } from "./session_outbox.ts";
import { GroupActions } from "./group_actions.ts";

/** Where the token of the signed-in user is kept between visits. */
export const TOKEN_KEY = "im.token";
/** Messages fetched per history page when scrolling up. */
export const PAGE = 30;
/** Messages of the window a chat opens with at a search result: 25 on either side of it. */
export const WINDOW = 50;
/** The image types the server takes. */
export { IMAGE_TYPES } from "./errors.ts";

/** What the sign-in screen says after the account was deleted. */
export const ACCOUNT_DELETED = "Your account was deleted.";

/** What a text sends beside its words: the message it answers, whom it mentions. */
export interface TextExtras {
  replyTo?: ReplyPreview;
  mentions?: string[];
  mentionAll?: boolean;
}

/** The plain advice for an error a person met (web/errors.ts). */
export function errorText(error: unknown): string {
  return plainError(error);
}

/** The signed-in session; `close()` unsubscribes from the client and the page. */
export class Session {
  readonly client: ImClient;
  /** Messages not yet accepted by the server, and drafts, kept in the browser. */
  readonly outbox: SessionOutbox;
  /** Running groups (settings, roles, mutes, requests) and blocking people. */
  readonly groups: GroupActions;
  #state: State;
  readonly #listeners = new Set<(state: State) => void>();
  readonly #arrivals = new Set<(message: Message, state: State) => void>();
  readonly #off: (() => void)[] = [];
  #loadingOlder = false;
  #loadingNewer = false;
  /** Ends the typing shown once its 5 s pass (one timer, for the earliest end). */
  #typingTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Why the session is ending, when this page asked for it (the sign-in screen says so). */
  #ending: string | undefined;
  readonly #onSignedOut: (notice?: string) => void;

  constructor(client: ImClient, me: User, onSignedOut: (notice?: string) => void) {
    this.#onSignedOut = onSignedOut;
    this.client = client;
    this.#state = initialState(me, document.visibilityState === "visible");
    const c = client;
    this.#off.push(
      c.on("message", (message) => this.#onMessage(message)),
      c.on("presence", (e) => this.dispatch({ type: "presence", ...e })),
      c.on("group_online", (e) => this.dispatch({ type: "group_online", ...e })),
      c.on("friend_request", () => void this.loadRequests()),
      c.on(
        "friend_request_cancelled",
        ({ requestId }) => this.dispatch({ type: "request_cancelled", requestId }),
      ),
      c.on("friend_added", (user) => {
        this.dispatch({ type: "profile", user });
        void Promise.all([this.loadFriends(), this.loadRequests()]);
      }),
      c.on("profile", (user) => {
        this.dispatch({ type: "profile", user });
        // A friend who deleted their account is no longer a friend.
        if (user.username === "" && this.#state.friends.has(user.id)) void this.loadFriends();
      }),
      c.on("group_update", (group) => void this.#onGroupUpdate(group)),
      c.on("state", (state) => {
        this.dispatch({ type: "connection", state });
        // The first open too: what came between loading the lists and the socket has no push.
        if (state === "open") void this.#caughtUp();
      }),
      // The SDK's one final close: the token was revoked or expired (4401).
      c.on("signed_out", () => {
        if (!this.#closed) onSignedOut(this.#ending);
      }),
      c.on("read", (e) => this.dispatch({ type: "peer_read", ...e })),
      c.on(
        "conversation_update",
        (conversation) => this.dispatch({ type: "conversation_update", conversation }),
      ),
      c.on("typing", (e) => {
        this.dispatch({ type: "typing", ...e, at: Date.now() });
        this.#expireTyping();
      }),
      c.on("error", (e) => {
        if (e.ref) this.dispatch({ type: "send_failed", clientMsgId: e.ref, error: errorText(e) });
      }),
    );
    this.outbox = new SessionOutbox({
      client,
      state: () => this.#state,
      dispatch: (event) => this.dispatch(event),
      closed: () => this.#closed,
    }, me.id);
    this.#off.push(this.outbox.watch());
    this.groups = new GroupActions({
      client,
      state: () => this.#state,
      dispatch: (event) => this.dispatch(event),
      loadGroups: () => this.loadGroups(),
      loadMembers: () => this.loadMembers(),
      openWithGroup: (group) => this.openWithGroup(group),
    });
    this.#off.push(...this.groups.watch());
    // Back in front, the open chat's list reports what it shows, and that is marked read.
    const visibility = () =>
      this.dispatch({ type: "visibility", visible: document.visibilityState === "visible" });
    document.addEventListener("visibilitychange", visibility);
    this.#off.push(() => document.removeEventListener("visibilitychange", visibility));
    this.#off.push(() => clearTimeout(this.#typingTimer));
  }

  /** Sets the timer that ends the earliest typing still shown. */
  #expireTyping(): void {
    clearTimeout(this.#typingTimer);
    let next = Infinity;
    for (const here of this.#state.typing.values()) {
      for (const until of here.values()) next = Math.min(next, until);
    }
    if (next === Infinity) return;
    this.#typingTimer = setTimeout(() => {
      this.dispatch({ type: "typing_expired", now: Date.now() });
      this.#expireTyping();
    }, Math.max(0, Math.min(TYPING_MS, next - Date.now())) + 20);
  }

  get state(): State {
    return this.#state;
  }

  /** Calls `listener` with each new state; returns the unsubscribe function. */
  subscribe(listener: (state: State) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` with each message new to this page, once it is in the state. */
  onArrival(listener: (message: Message, state: State) => void): () => void {
    this.#arrivals.add(listener);
    return () => this.#arrivals.delete(listener);
  }

  /** Applies an event to the state and tells the listeners. */
  dispatch(event: Event): void {
    if (this.#closed) return;
    const next = reduce(this.#state, event);
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of this.#listeners) listener(next);
  }

  /** Loads the lists, calls `loaded` (which may open a chat), then opens the socket. */
  async start(loaded?: () => void): Promise<void> {
    this.outbox.restore();
    await Promise.all([
      this.loadConversations(),
      this.loadFriends(),
      this.loadGroups(),
      this.loadRequests(),
    ]);
    loaded?.();
    await this.client.connect();
  }

  async loadConversations(): Promise<void> {
    // What each conversation's last seq was when asked: one missing from the answer that had no
    // message since was hidden on another device.
    const before = new Map([...this.#state.conversations.values()].map((c) => [c.id, c.lastSeq]));
    this.dispatch({ type: "conversations", list: await this.client.conversations(), before });
  }

  /**
   * Pins, mutes or hides a conversation for this user (every device hears it); hiding the open
   * chat closes it. Throws the server's refusal.
   */
  async updateConversation(conversationId: string, patch: ConversationSettingsPatch) {
    const conversation = await this.client.updateConversation(conversationId, patch);
    this.dispatch({ type: "conversation_update", conversation });
    if (patch.hidden && this.#state.active === conversationId) {
      this.dispatch({ type: "close_chat" });
    }
  }

  /**
   * Opens a message's conversation at it (a search result): the window of messages around it
   * replaces what was loaded, and the list brings it into view and marks it.
   */
  async openAt(message: Message): Promise<void> {
    const id = message.conversationId;
    const after = Math.max(0, message.seq - WINDOW / 2);
    const page = await this.client.history(id, { after, limit: WINDOW });
    const who = this.#who(message);
    this.dispatch({ type: "open", conversationId: id, ...(who ? { who } : {}) });
    this.dispatch({
      type: "window",
      conversationId: id,
      messages: page,
      seq: message.seq,
      reachesEnd: page.length < WINDOW,
    });
    // A message stored between the page and now: fetched, as the list is attached again.
    const more = page.length < WINDOW ? this.loadNewer(id) : undefined;
    await Promise.all([
      more,
      id.startsWith("g:") ? this.loadMembers() : undefined,
      this.loadReads(id),
    ]);
  }

  /** Who a message's conversation is with, for opening it when the list does not hold it. */
  #who(message: Message): Extract<Event, { type: "open" }>["who"] | undefined {
    const state = this.#state;
    if (state.conversations.has(message.conversationId)) return undefined;
    if (message.to.type === "group") {
      const group = state.groups.get(message.to.id)?.group;
      return group ? { type: "group", group } : undefined;
    }
    const peerId = message.from === state.me.id ? message.to.id : message.from;
    const peer = state.users.get(peerId) ?? state.friends.get(peerId)?.user;
    return peer ? { type: "user", peer } : undefined;
  }

  /** The next newer page of a chat opened at an old message; the newest attaches it again. */
  async loadNewerWindow(): Promise<void> {
    const id = this.#state.active;
    if (!id || this.#loadingNewer || !this.#state.detached.has(id)) return;
    const map = this.#state.messages.get(id);
    const newest = map && map.size ? Math.max(...map.keys()) : 0;
    this.#loadingNewer = true;
    try {
      const page = await this.client.history(id, { after: newest, limit: WINDOW });
      this.dispatch({ type: "history", conversationId: id, messages: page });
      // A message the server stored while the page was read came by push and was not kept.
      if (page.length < WINDOW && this.#state.detached.has(id)) await this.loadNewer(id);
    } finally {
      this.#loadingNewer = false;
    }
  }

  /** Leaves a window on old messages for the latest page ("Jump to latest", or a send). */
  async toLatest(conversationId: string): Promise<void> {
    const conv = this.#state.conversations.get(conversationId);
    if (!conv) return;
    const page = await this.client.history(conversationId, {
      before: 2 ** 31 - 1,
      limit: PAGE,
    });
    this.dispatch({
      type: "window",
      conversationId,
      messages: page,
      seq: null,
      reachesEnd: true,
    });
    await this.loadNewer(conversationId);
  }

  async loadFriends(): Promise<void> {
    this.dispatch({ type: "friends", list: await this.client.friends() });
  }

  async loadGroups(): Promise<void> {
    this.dispatch({ type: "groups", list: await this.client.groups() });
    await this.loadMembers();
  }

  async loadRequests(): Promise<void> {
    this.dispatch({ type: "requests", requests: await this.client.friendRequests() });
  }

  async loadMembers(): Promise<void> {
    const active = this.#state.active;
    if (!active?.startsWith("g:")) return;
    const groupId = active.slice(2);
    try {
      const details = await this.client.group(groupId);
      this.dispatch({
        type: "members",
        groupId,
        members: details.members,
        onlineCount: details.onlineCount,
      });
    } catch {
      this.dispatch({ type: "members", groupId, members: [] });
    }
  }

  /** A known group changes at once; a group the user was just added to appears once confirmed. */
  async #onGroupUpdate(group: Group): Promise<void> {
    const known = this.#state.groups.has(group.id);
    this.dispatch({ type: "group_update", group });
    // Those who left get the update too: only the server's list says whether the user is in.
    await this.loadGroups();
    const joined = this.#state.groups.get(group.id)?.group;
    if (!known && joined) this.dispatch({ type: "group_joined", group: joined });
  }

  /** After each open: the server's counts are the truth; fetch what the open chat missed. */
  async #caughtUp(): Promise<void> {
    // Requests too: one sent or cancelled while away has no event to replay.
    await Promise.all([
      this.loadConversations(),
      this.loadFriends(),
      this.loadGroups(),
      this.loadRequests(),
    ]);
    const active = this.#state.active;
    // Read marks too: a read event while away has no replay.
    // A window on old messages stays where it is: scrolling down or "Jump to latest" goes on.
    const newer = active && !this.#state.detached.has(active) ? this.loadNewer(active) : undefined;
    if (active) await Promise.all([newer, this.loadReads(active)]);
  }

  #onMessage(m: Message): void {
    const known = this.#state.conversations.has(m.conversationId);
    // Not a repeat, nor one the lists loaded already counted.
    const fresh = m.seq > (this.#state.conversations.get(m.conversationId)?.lastSeq ?? 0);
    this.dispatch({ type: "message", message: m });
    if (fresh && !this.#closed) { for (const listener of this.#arrivals) listener(m, this.#state); }
    if (!known) {
      if (m.to.type === "group" && !this.#state.groups.has(m.to.id)) void this.loadGroups();
      const peer = m.from === this.#state.me.id ? m.to.id : m.from;
      if (m.to.type === "user" && !this.#state.users.has(peer)) void this.loadConversations();
    }
  }

  /**
   * Marks the open conversation read up to `shown`, the last seq its list has
   * shown (the list reports it after each change and scroll), never further.
   */
  markRead(shown: number): void {
    const state = this.#state;
    const upTo = unreadUpTo(state, shown);
    if (state.active === null || upTo === null) return;
    this.client.read(state.active, upTo);
    this.dispatch({ type: "read", conversationId: state.active, seq: upTo });
  }

  async loadNewer(conversationId: string): Promise<void> {
    const map = this.#state.messages.get(conversationId);
    // Nothing here yet (its first page is still on the way): the latest page, not the whole history.
    if (!map?.size) return await this.#loadLatest(conversationId);
    const after = Math.max(...map.keys());
    for (let from = after;;) {
      const page = await this.client.history(conversationId, { after: from, limit: 200 });
      this.dispatch({ type: "history", conversationId, messages: page });
      if (page.length < 200) break;
      from = page[page.length - 1].seq;
    }
  }

  async loadOlder(): Promise<void> {
    const id = this.#state.active;
    if (!id || this.#loadingOlder || this.#state.noOlder.has(id)) return;
    const map = this.#state.messages.get(id);
    const oldest = map && map.size ? Math.min(...map.keys()) : 0;
    if (oldest <= 1) {
      return this.dispatch({ type: "history", conversationId: id, messages: [], noOlder: true });
    }
    this.#loadingOlder = true;
    try {
      const page = await this.client.history(id, { before: oldest, limit: PAGE });
      this.dispatch({
        type: "history",
        conversationId: id,
        messages: page,
        noOlder: page.length < PAGE,
      });
    } finally {
      this.#loadingOlder = false;
    }
  }

  async open(conversationId: string, who?: Extract<Event, { type: "open" }>["who"]) {
    this.dispatch({ type: "open", conversationId, ...(who ? { who } : {}) });
    const loaded = this.#state.messages.get(conversationId)?.size ?? 0;
    // Less than a page (pushes came before the chat was opened): the latest page, older on scrolling.
    if (loaded < PAGE && !this.#state.noOlder.has(conversationId)) {
      await this.#loadLatest(conversationId);
    } else {
      await this.loadNewer(conversationId);
    }
    await Promise.all([
      conversationId.startsWith("g:") ? this.loadMembers() : undefined,
      this.loadReads(conversationId),
    ]);
  }

  /**
   * The other participants' read marks of a conversation, for the ticks of a private chat and
   * "Read by N" in a group small enough to hear read events.
   */
  async loadReads(conversationId: string): Promise<void> {
    const conv = this.#state.conversations.get(conversationId);
    const members = conv?.group
      ? this.#state.groups.get(conv.group.id)?.group.memberCount ?? conv.group.memberCount
      : 2;
    if (!conv || members > LIMITS.receiptGroupMax) return;
    try {
      this.dispatch({
        type: "reads",
        conversationId,
        reads: await this.client.reads(conversationId),
      });
    } catch {
      // Without marks, messages show as delivered: the next read event corrects them.
    }
  }

  /**
   * Makes sure the message at `seq` of the open chat is loaded, fetching older pages
   * until it is (a quote answering something long ago); false when it cannot be.
   */
  async reveal(seq: number): Promise<boolean> {
    const id = this.#state.active;
    if (!id) return false;
    for (;;) {
      if (this.#state.messages.get(id)?.has(seq)) return true;
      if (this.#state.noOlder.has(id) || this.#state.active !== id) return false;
      const map = this.#state.messages.get(id);
      const oldest = map && map.size ? Math.min(...map.keys()) : 0;
      if (oldest === 0 || oldest <= seq) return false;
      // Every message from the quoted one on, in one call: the loaded seqs stay a run.
      const limit = Math.min(200, oldest - seq);
      const page = await this.client.history(id, { before: oldest, limit });
      this.dispatch({
        type: "history",
        conversationId: id,
        messages: page,
        noOlder: page.length < limit,
      });
      if (page.length === 0) return false;
    }
  }

  /** Tells the open chat's others this user is typing (the SDK sends at most one frame per 2 s). */
  typing(): void {
    const id = this.#state.active;
    if (id) this.client.typing(id);
  }

  /** Saves a new text of one of this user's text messages; throws the server's refusal. */
  async editMessage(message: Message, text: string): Promise<void> {
    const current = await this.client.editMessage(message.id, text);
    this.dispatch({ type: "changed", message: current });
  }

  /** Recalls a message for everyone; throws the server's refusal. */
  async recallMessage(message: Message): Promise<void> {
    await this.client.recallMessage(message.id);
    this.dispatch({
      type: "changed",
      message: { ...message, content: { type: "recalled", recalledBy: this.#state.me.id } },
    });
  }

  /** The latest page of a conversation. */
  async #loadLatest(conversationId: string): Promise<void> {
    const conv = this.#state.conversations.get(conversationId);
    if (!conv || conv.lastSeq === 0) return;
    const page = await this.client.history(conversationId, {
      before: conv.lastSeq + 1,
      limit: PAGE,
    });
    this.dispatch({ type: "history", conversationId, messages: page, noOlder: page.length < PAGE });
  }

  /**
   * Opens a chat named by its id (a URL, a notification) if this user may: one of
   * the list, a group of theirs, or a friend's private chat. False otherwise.
   */
  openById(conversationId: string): boolean {
    const state = this.#state;
    if (state.conversations.has(conversationId)) {
      void this.open(conversationId);
      return true;
    }
    const group = state.groups.get(conversationId.slice(2))?.group;
    if (conversationId.startsWith("g:") && group) {
      this.openWithGroup(group);
      return true;
    }
    for (const { user } of state.friends.values()) {
      if (privateConversationId(state.me.id, user.id) !== conversationId) continue;
      this.openWithUser(user);
      return true;
    }
    return false;
  }

  openWithUser(user: User): void {
    const id = privateConversationId(this.#state.me.id, user.id);
    void this.open(id, { type: "user", peer: user });
  }

  openWithGroup(group: Group): void {
    void this.open(groupConversationId(group.id), { type: "group", group });
  }

  /** Leaves a group: its chat closes and it leaves the lists. */
  leave(groupId: string): Promise<void> {
    return this.groups.leave(groupId);
  }

  async sendText(text: string, extras: TextExtras = {}): Promise<void> {
    if (!this.#state.active || !text.trim()) return;
    const { replyTo, mentions, mentionAll } = extras;
    await this.#send({
      type: "text",
      text,
      ...(mentions?.length ? { mentions } : {}),
      ...(mentionAll ? { mentionAll } : {}),
    }, replyTo);
  }

  /**
   * Sends any file: refused before upload when too large or empty, uploaded (while `uploading`
   * says so), then sent as a file message with its name and size.
   */
  async sendFile(
    file: File,
    report: (message: string) => void,
    uploading: (file: File | null) => void = () => {},
    replyTo?: ReplyPreview,
  ): Promise<void> {
    if (!this.#state.active) return;
    const problem = fileProblem(file);
    if (problem) return report(problem);
    if (!this.client.connected) {
      return report(
        `Cannot send "${file.name}" while offline: send it again once the connection is back`,
      );
    }
    uploading(file);
    try {
      const info = await this.client.uploadFile(
        new Uint8Array(await file.arrayBuffer()),
        file.name,
      );
      await this.#send({
        type: "file",
        mediaId: info.id,
        name: info.name ?? file.name,
        url: info.url,
        size: info.size,
        contentType: info.contentType,
      }, replyTo);
    } catch (error) {
      report(errorText(error));
    } finally {
      uploading(null);
    }
  }

  async sendImage(
    file: File,
    report: (message: string) => void,
    replyTo?: ReplyPreview,
  ): Promise<void> {
    if (!this.#state.active) return;
    const problem = imageProblem(file);
    if (problem) return report(problem);
    if (!this.client.connected) {
      return report(
        `Cannot send "${file.name}" while offline: send it again once the connection is back`,
      );
    }
    try {
      const info = await this.client.uploadMedia(
        new Uint8Array(await file.arrayBuffer()),
        file.type,
      );
      await this.#send({ type: "image", mediaId: info.id, url: info.url }, replyTo);
    } catch (error) {
      report(errorText(error));
    }
  }

  #send(content: Message["content"], replyTo?: ReplyPreview): Promise<void> {
    const id = this.#state.active!;
    // Sent from a window on old messages: the latest shows, and the message after it.
    if (this.#state.detached.has(id)) void this.toLatest(id).catch(() => {});
    return this.outbox.send(id, content, replyTo);
  }

  /** Logs out on the server (signed out here either way) and forgets the token. */
  async logout(): Promise<void> {
    try {
      await this.client.logout();
    } catch {
      // Signed out locally either way.
    }
    await this.close();
    localStorage.removeItem(TOKEN_KEY);
    this.outbox.store.clear();
  }

  /** Deletes the account (a wrong password throws); then the sign-in screen says it was deleted. */
  async deleteAccount(password: string): Promise<void> {
    // The server may close the socket (4401) before it answers: that close ends the session too.
    this.#ending = ACCOUNT_DELETED;
    try {
      await this.client.deleteAccount(password);
    } catch (error) {
      this.#ending = undefined;
      throw error;
    }
    // Nothing of a deleted account stays in this browser.
    this.outbox.store.clear();
    localStorage.removeItem(prefsKey(this.#state.me.id));
    if (!this.#closed) this.#onSignedOut(ACCOUNT_DELETED);
  }

  /** Stops listening and closes the socket; the state no longer changes. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    this.#listeners.clear();
    this.#arrivals.clear();
    await this.client.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
