/**
 * The web client's state and the pure function that changes it: `reduce(state,
 * event)` returns a new state and never touches the old one, the network or the
 * page. Everything that talks to the server lives in session.ts.
 */
import type {
  ConversationSummary,
  FriendRequest,
  Group,
  GroupMember,
  JoinRequest,
  Message,
  ReadMark,
  ReplyPreview,
  User,
} from "../shared/types.ts";
import { isFullTarget, isUpdate, previewOf } from "../shared/message_view.ts";
import {
  membersWithProfile,
  onGroupJoined,
  onGroupUpdate,
  onPresence,
  withoutRequest,
} from "./social_state.ts";
import { type OutboxEvent, reduceOutbox, settled } from "./outbox_state.ts";
import { type GroupAdminEvent, reduceGroupAdmin } from "./group_admin_state.ts";
import {
  attachIfComplete,
  type ConversationEvent,
  reduceConversation,
} from "./conversation_state.ts";
import { revealsHidden } from "../client/summaries.ts";

/** A tab of the side panel. */
export type Tab = "chats" | "friends" | "groups" | "profile";

/** A conversation of the list; `lastMessage` is null until its first message. */
export type Conversation = Omit<ConversationSummary, "lastMessage"> & {
  lastMessage: Message | null;
};

/** A message of ours not yet given its seq by the server. */
export interface Pending {
  clientMsgId: string;
  conversationId: string;
  content: Message["content"];
  failed?: string;
  /** Not yet handed to the server: the connection is down. */
  waiting?: boolean;
  /** The server accepted it (its id); shown until the stored message comes. */
  sentId?: string;
  /** The message it answers, as the composer quoted it. */
  replyTo?: ReplyPreview;
}

/** Everything the signed-in page shows. */
export interface State {
  me: User;
  tab: Tab;
  active: string | null;
  /** Counts the openings of chats: each one, even of the open chat, focuses the composer. */
  opened: number;
  /** Whether the page is in front (a message to the open chat then counts as read). */
  visible: boolean;
  /** Whether the open chat's list shows its latest message (scrolled to the bottom). */
  following: boolean;
  /** A plain message about the last navigation that could not be followed, or "". */
  notice: string;
  conversations: ReadonlyMap<string, Conversation>;
  messages: ReadonlyMap<string, ReadonlyMap<number, Message>>;
  pending: ReadonlyMap<string, Pending>;
  friends: ReadonlyMap<string, { user: User; online: boolean }>;
  groups: ReadonlyMap<string, { group: Group; onlineCount: number }>;
  users: ReadonlyMap<string, User>;
  requests: { incoming: FriendRequest[]; outgoing: FriendRequest[] };
  members: GroupMember[];
  /** The last searches and what they found (null: none yet), kept across tabs. */
  searched: { users: string; groups: string };
  foundUsers: User[] | null;
  foundGroups: Group[] | null;
  showMembers: boolean;
  reconnecting: boolean;
  everOpen: boolean;
  noOlder: ReadonlySet<string>;
  /**
   * The conversations whose loaded messages are a window that does not reach the newest
   * (opened at a search result): messages arriving are not stored (conversation_state.ts).
   */
  detached: ReadonlySet<string>;
  /**
   * The message the open chat was opened at (a search result), brought into view and marked
   * once; `n` is the `opened` count of that opening.
   */
  jump: { conversationId: string; seq: number; n: number } | null;
  /** Per conversation, the other participants' read marks (user id → seq), as far as heard. */
  reads: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per conversation, who is typing and until when (ms): a typing event lasts 5 s. */
  typing: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per group, its pending join requests (for its owner and admins; group_admin_state.ts). */
  joinRequests: ReadonlyMap<string, JoinRequest[]>;
  /** The groups this user asked to join and waits for. */
  joinAsked: ReadonlySet<string>;
  /** The users this user blocked, latest first (null: not loaded yet). */
  blocked: User[] | null;
  /** The person whose screen is open (block, unblock, message), or null. */
  person: User | null;
}

/** How long a typing event shows its writer as typing, unless another comes or their message. */
export const TYPING_MS = 5000;

/** What can happen to the state. */
export type Event =
  | { type: "message"; message: Message }
  | { type: "presence"; userId: string; online: boolean; lastSeenAt?: number }
  | { type: "group_online"; groupId: string; count: number }
  | { type: "profile"; user: User }
  | { type: "connection"; state: "connecting" | "open" | "closed" }
  | { type: "visibility"; visible: boolean }
  /**
   * The server's list. `before`: each conversation's lastSeq when it was asked for; one that
   * is missing from the list and had no message since was hidden (on another device).
   */
  | { type: "conversations"; list: ConversationSummary[]; before?: ReadonlyMap<string, number> }
  | { type: "friends"; list: { user: User; online: boolean }[] }
  | { type: "groups"; list: { group: Group; onlineCount: number }[] }
  | { type: "requests"; requests: State["requests"] }
  | { type: "members"; groupId: string; members: GroupMember[]; onlineCount?: number }
  | { type: "history"; conversationId: string; messages: Message[]; noOlder?: boolean }
  | { type: "open"; conversationId: string; who?: Pick<Conversation, "type" | "peer" | "group"> }
  | { type: "close_chat" }
  | { type: "left"; conversationId: string }
  | { type: "tab"; tab: Tab }
  | { type: "read"; conversationId: string; seq: number }
  | { type: "following"; following: boolean }
  | { type: "notice"; text: string }
  | { type: "sending"; pending: Pending }
  | { type: "send_failed"; clientMsgId: string; error: string }
  | { type: "search_text"; kind: "users" | "groups"; text: string }
  | { type: "found_users"; query: string; users: User[] }
  | { type: "found_groups"; query: string; groups: Group[] }
  | { type: "toggle_members" }
  | { type: "request_cancelled"; requestId: string }
  | { type: "group_update"; group: Group }
  | { type: "group_joined"; group: Group }
  /** A message's current version (an edit's answer, a recall done here): replaces what is shown. */
  | { type: "changed"; message: Message }
  /** The participants' read marks of a conversation (`client.reads()`). */
  | { type: "reads"; conversationId: string; reads: ReadMark[] }
  /** A read event: a participant, or this user elsewhere, read up to `seq`. */
  | { type: "peer_read"; conversationId: string; userId: string; seq: number }
  | { type: "typing"; conversationId: string; userId: string; at: number }
  /** Time passed: typing older than `TYPING_MS` before `now` ends. */
  | { type: "typing_expired"; now: number }
  | OutboxEvent
  | ConversationEvent
  | GroupAdminEvent;

/** The state right after signing in. */
export function initialState(me: User, visible = true): State {
  return {
    me,
    tab: "chats",
    active: null,
    opened: 0,
    visible,
    following: true,
    notice: "",
    conversations: new Map(),
    messages: new Map(),
    pending: new Map(),
    friends: new Map(),
    groups: new Map(),
    users: new Map([[me.id, me]]),
    requests: { incoming: [], outgoing: [] },
    members: [],
    searched: { users: "", groups: "" },
    foundUsers: null,
    foundGroups: null,
    showMembers: false,
    reconnecting: false,
    everOpen: false,
    noOlder: new Set(),
    detached: new Set(),
    jump: null,
    reads: new Map(),
    typing: new Map(),
    joinRequests: new Map(),
    joinAsked: new Set(),
    blocked: null,
    person: null,
  };
}

function put<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> {
  return new Map(map).set(key, value);
}

function withUsers(
  users: ReadonlyMap<string, User>,
  list: (User | undefined)[],
): Map<string, User> {
  const next = new Map(users);
  for (const user of list) if (user) next.set(user.id, user);
  return next;
}

function stored(state: State, list: Message[]): State["messages"] {
  const next = new Map(state.messages);
  for (const m of list) {
    next.set(m.conversationId, put(next.get(m.conversationId) ?? new Map(), m.seq, m));
  }
  return next;
}

/** Whether the user has a conversation open in front of them right now. */
export function reading(state: State, conversationId: string): boolean {
  return state.active === conversationId && state.visible;
}

/** Whether a text mentions the user, by name or as everyone. */
export function mentions(message: Pick<Message, "content">, userId: string): boolean {
  const c = message.content;
  return c.type === "text" && (c.mentionAll === true || (c.mentions?.includes(userId) ?? false));
}

function onMessage(state: State, m: Message): State {
  if (isUpdate(m)) return onUpdateEntry(state, m);
  const conv = state.conversations.get(m.conversationId);
  // Unread until the open chat's list shows it (a read event), even in that chat: the list may
  // be scrolled up to older messages, whatever the state last heard of its position.
  // System messages (changes of a group) never count, whoever made them.
  const counts = m.from !== state.me.id && m.content.type !== "system";
  const mentioned = counts && mentions(m, state.me.id);
  let next: Conversation | undefined = conv;
  // A user's message brings a hidden conversation back into the list (the server's rule too).
  const shown = conv?.hidden === true && revealsHidden(m) ? { hidden: false } : {};
  if (!conv) {
    const group = m.to.type === "group" ? state.groups.get(m.to.id)?.group : undefined;
    const peerId = m.to.type === "user" ? (m.from === state.me.id ? m.to.id : m.from) : "";
    const peer = peerId ? state.users.get(peerId) : undefined;
    next = {
      id: m.conversationId,
      type: m.to.type,
      ...(peer ? { peer } : {}),
      ...(group ? { group } : {}),
      lastSeq: m.seq,
      readSeq: 0,
      unread: counts ? 1 : 0,
      lastMessage: m,
      ...(mentioned ? { mentioned } : {}),
    };
  } else if (m.seq > conv.lastSeq) {
    next = {
      ...conv,
      ...shown,
      lastSeq: m.seq,
      lastMessage: m,
      unread: conv.unread + (counts ? 1 : 0),
      ...(mentioned ? { mentioned } : {}),
    };
  }
  // A window on older messages does not take it: it would sit after the window, out of place.
  const detached = state.detached.has(m.conversationId);
  const pending = new Map(state.pending);
  if (m.clientMsgId !== null) pending.delete(m.clientMsgId);
  return {
    ...state,
    messages: detached ? state.messages : stored(state, [m]),
    conversations: next === conv
      ? state.conversations
      : put(state.conversations, m.conversationId, next!),
    pending,
    // Their message came: they stopped typing it.
    typing: withoutTyping(state.typing, m.conversationId, m.from),
  };
}

/**
 * An edit or recall entry: kept by its seq (the list's positions and the next history page count
 * it) but never shown, never unread, never the last message; its target's current version
 * replaces the one shown, wherever it shows.
 */
function onUpdateEntry(state: State, m: Message): State {
  const conv = state.conversations.get(m.conversationId);
  const detached = state.detached.has(m.conversationId);
  let next: State = { ...state, messages: detached ? state.messages : stored(state, [m]) };
  if (conv && m.seq > conv.lastSeq) {
    next = {
      ...next,
      conversations: put(next.conversations, conv.id, { ...conv, lastSeq: m.seq }),
    };
  }
  const c = m.content;
  return c.type === "update" && isFullTarget(c.target) ? withCurrent(next, c.target) : next;
}

/**
 * The state with a message's current version: in place of the loaded one (never adding one that
 * was not loaded: the loaded seqs stay a run without holes), as the conversation's last message,
 * and in the quotes of the loaded messages that answer it.
 */
function withCurrent(state: State, current: Message): State {
  const loaded = state.messages.get(current.conversationId);
  if (!loaded) return state;
  const map = new Map(loaded);
  if (map.has(current.seq)) map.set(current.seq, current);
  const preview = previewOf(current.content);
  for (const [seq, m] of map) {
    if (m.replyTo?.id === current.id && m.replyTo.preview !== null) {
      map.set(seq, { ...m, replyTo: { ...m.replyTo, preview } });
    }
  }
  const conv = state.conversations.get(current.conversationId);
  const conversations = conv?.lastMessage?.id === current.id
    ? put(state.conversations, conv.id, { ...conv, lastMessage: current })
    : state.conversations;
  return { ...state, messages: put(state.messages, current.conversationId, map), conversations };
}

function withoutTyping(
  typing: State["typing"],
  conversationId: string,
  userId: string,
): State["typing"] {
  const here = typing.get(conversationId);
  if (!here?.has(userId)) return typing;
  const next = new Map(here);
  next.delete(userId);
  return put(typing, conversationId, next);
}

function onTyping(
  state: State,
  { conversationId, userId, at }: { conversationId: string; userId: string; at: number },
): State {
  if (userId === state.me.id) return state;
  const here = new Map(state.typing.get(conversationId) ?? []);
  here.set(userId, at + TYPING_MS);
  return { ...state, typing: put(state.typing, conversationId, here) };
}

function onTypingExpired(state: State, now: number): State {
  let typing: Map<string, ReadonlyMap<string, number>> | null = null;
  for (const [conversationId, here] of state.typing) {
    const left = [...here].filter(([, until]) => until > now);
    if (left.length === here.size) continue;
    typing ??= new Map(state.typing);
    if (left.length) typing.set(conversationId, new Map(left));
    else typing.delete(conversationId);
  }
  return typing ? { ...state, typing } : state;
}

/** A read mark: this user's own (read elsewhere) moves the conversation's; others' are kept. */
function onPeerRead(state: State, conversationId: string, userId: string, seq: number): State {
  if (userId === state.me.id) return onRead(state, conversationId, seq);
  const here = state.reads.get(conversationId);
  if ((here?.get(userId) ?? 0) >= seq) return state;
  return {
    ...state,
    reads: put(state.reads, conversationId, put(here ?? new Map(), userId, seq)),
  };
}

function onReads(state: State, conversationId: string, reads: ReadMark[]): State {
  const here = new Map(state.reads.get(conversationId) ?? []);
  for (const { userId, seq } of reads) {
    // A mark heard by event after the answer was made must not go back.
    if (userId !== state.me.id) here.set(userId, Math.max(seq, here.get(userId) ?? 0));
  }
  return { ...state, reads: put(state.reads, conversationId, here) };
}

/**
 * How many other participants have read a message (their read mark reaches its seq): in a private
 * chat 1 is "read", 0 "delivered to the server"; in a group, "Read by N".
 */
export function readBy(state: State, conversationId: string, seq: number): number {
  let n = 0;
  for (const mark of state.reads.get(conversationId)?.values() ?? []) if (mark >= seq) n++;
  return n;
}

/** Who is typing in a conversation, in the order they started. */
export function typingIn(state: State, conversationId: string): string[] {
  return [...(state.typing.get(conversationId)?.keys() ?? [])];
}

function onConversations(
  state: State,
  list: ConversationSummary[],
  before?: ReadonlyMap<string, number>,
): State {
  const conversations = new Map(state.conversations);
  if (before) {
    // The server lists every conversation with messages but the hidden ones.
    const listed = new Set(list.map((s) => s.id));
    for (const conv of conversations.values()) {
      if (listed.has(conv.id) || conv.lastSeq === 0 || conv.hidden) continue;
      if (before.get(conv.id) === conv.lastSeq) {
        conversations.set(conv.id, { ...conv, hidden: true });
      }
    }
  }
  for (const summary of list) {
    // A list fetched before this tab's read mark reached the server must not undo it.
    const readHere = conversations.get(summary.id)?.readSeq ?? 0;
    const read = readHere >= summary.lastSeq && readHere > summary.readSeq
      ? { readSeq: readHere, unread: 0 }
      : {};
    conversations.set(summary.id, {
      ...summary,
      ...read,
      hidden: false,
      lastMessage: summary.lastMessage ?? null,
    });
  }
  return { ...state, conversations, users: withUsers(state.users, list.map((s) => s.peer)) };
}

function onGroups(state: State, list: { group: Group; onlineCount: number }[]): State {
  const groups = new Map(list.map((g) => [g.group.id, g]));
  const conversations = new Map(state.conversations);
  for (const conv of conversations.values()) {
    if (conv.type !== "group") continue;
    // A conversation made by a group's first push (its "created" line) before the group was
    // listed has no group yet: it takes it here.
    const group = groups.get(conv.group?.id ?? conv.id.slice(2))?.group ?? conv.group;
    if (group !== conv.group) conversations.set(conv.id, { ...conv, group });
  }
  return { ...state, groups, conversations };
}

function onProfile(state: State, user: User): State {
  const friend = state.friends.get(user.id);
  const conversations = new Map(state.conversations);
  for (const conv of conversations.values()) {
    if (conv.peer?.id === user.id) conversations.set(conv.id, { ...conv, peer: user });
  }
  return {
    ...state,
    me: user.id === state.me.id ? user : state.me,
    users: put(state.users, user.id, user),
    // A profile without lastSeenAt keeps the one presence gave.
    friends: friend
      ? put(state.friends, user.id, {
        ...friend,
        user: user.lastSeenAt === undefined && friend.user.lastSeenAt !== undefined
          ? { ...user, lastSeenAt: friend.user.lastSeenAt }
          : user,
      })
      : state.friends,
    conversations,
    members: membersWithProfile(state, user),
  };
}

function onOpen(
  state: State,
  { conversationId: id, who }: Extract<Event, { type: "open" }>,
): State {
  let { conversations, tab } = state;
  if (who) {
    tab = "chats";
    if (!conversations.has(id)) {
      conversations = put(conversations, id, {
        id,
        ...who,
        lastSeq: 0,
        readSeq: 0,
        unread: 0,
        lastMessage: null,
      });
    }
  }
  // Opened from the list (not at a message): the latest, not the window left on an old page.
  let { messages, detached } = state;
  if (detached.has(id)) {
    messages = new Map([...messages].filter(([key]) => key !== id));
    detached = new Set([...detached].filter((key) => key !== id));
  }
  return {
    ...state,
    conversations,
    messages,
    detached,
    // A list opened afresh does not jump to where an earlier one was opened at.
    jump: null,
    tab,
    active: id,
    opened: state.opened + 1,
    following: true,
    notice: "",
    showMembers: false,
    members: [],
  };
}

function updated<K, V>(map: ReadonlyMap<K, V>, key: K, change: (value: V) => V) {
  const value = map.get(key);
  return value === undefined ? map : put(map, key, change(value));
}

/** The state after an event. */
export function reduce(state: State, event: Event): State {
  switch (event.type) {
    case "message":
      return onMessage(state, event.message);
    case "presence":
      return onPresence(state, event);
    case "group_online":
      return {
        ...state,
        groups: updated(state.groups, event.groupId, (g) => ({ ...g, onlineCount: event.count })),
      };
    case "profile":
      return onProfile(state, event.user);
    case "connection":
      if (event.state === "open") return { ...state, reconnecting: false, everOpen: true };
      return state.everOpen ? { ...state, reconnecting: true } : state;
    case "visibility":
      return { ...state, visible: event.visible };
    case "conversations":
      return onConversations(state, event.list, event.before);
    case "friends":
      return {
        ...state,
        friends: new Map(event.list.map((f) => [f.user.id, { user: f.user, online: f.online }])),
        users: withUsers(state.users, event.list.map((f) => f.user)),
      };
    case "groups":
      return onGroups(state, event.list);
    case "requests":
      return { ...state, requests: event.requests };
    case "members": {
      if (state.active !== `g:${event.groupId}`) return state;
      const { onlineCount } = event;
      return {
        ...state,
        members: event.members,
        users: withUsers(state.users, event.members.map((m) => m.user)),
        groups: onlineCount === undefined
          ? state.groups
          : updated(state.groups, event.groupId, (g) => ({ ...g, onlineCount })),
      };
    }
    case "history": {
      const noOlder = event.noOlder
        ? new Set(state.noOlder).add(event.conversationId)
        : state.noOlder;
      const pending = settled(state.pending, event.messages);
      let next: State = { ...state, messages: stored(state, event.messages), noOlder, pending };
      // A page's targets are current already; an update may name one loaded before.
      for (const m of event.messages) {
        if (m.content.type === "update" && isFullTarget(m.content.target)) {
          next = withCurrent(next, m.content.target);
        }
      }
      return attachIfComplete(next, event.conversationId);
    }
    case "open":
      return onOpen(state, event);
    case "close_chat":
      return { ...state, active: null };
    case "left": {
      const conversations = new Map(state.conversations);
      conversations.delete(event.conversationId);
      const active = state.active === event.conversationId ? null : state.active;
      return { ...state, conversations, active };
    }
    case "tab":
      // Moving to another tab dismisses the notice; the history's step back to the same tab (a
      // chat closed by the server: removed from its group) must not, or nobody reads why.
      return { ...state, tab: event.tab, notice: event.tab === state.tab ? state.notice : "" };
    case "read":
      return onRead(state, event.conversationId, event.seq);
    case "following":
      return event.following === state.following ? state : { ...state, following: event.following };
    case "notice":
      return { ...state, notice: event.text };
    case "sending":
      return { ...state, pending: put(state.pending, event.pending.clientMsgId, event.pending) };
    case "send_failed":
      return {
        ...state,
        pending: updated(state.pending, event.clientMsgId, (p) => ({ ...p, failed: event.error })),
      };
    case "search_text":
      return { ...state, searched: { ...state.searched, [event.kind]: event.text } };
    case "found_users":
      return {
        ...state,
        searched: { ...state.searched, users: event.query },
        foundUsers: event.users.filter((u) => u.id !== state.me.id),
      };
    case "found_groups":
      return {
        ...state,
        searched: { ...state.searched, groups: event.query },
        foundGroups: event.groups,
      };
    case "toggle_members":
      return { ...state, showMembers: !state.showMembers };
    case "request_cancelled":
      return withoutRequest(state, event.requestId);
    case "group_update":
      return onGroupUpdate(state, event.group);
    case "group_joined":
      return onGroupJoined(state, event.group);
    case "changed":
      return withCurrent(state, event.message);
    case "reads":
      return onReads(state, event.conversationId, event.reads);
    case "peer_read":
      return onPeerRead(state, event.conversationId, event.userId, event.seq);
    case "typing":
      return onTyping(state, event);
    case "typing_expired":
      return onTypingExpired(state, event.now);
    case "outbox_link":
    case "sent":
    case "discard":
      return reduceOutbox(state, event);
    case "conversation_update":
    case "window":
      return reduceConversation(state, event);
    default:
      // The rest are group administration and blocks (group_admin_state.ts).
      return reduceGroupAdmin(state, event);
  }
}

/**
 * The seq to mark the open conversation read up to, given the last seq its list
 * shows, or null when there is nothing to mark: never past what was shown, nor
 * while the page is hidden.
 */
export function unreadUpTo(state: State, shown: number): number | null {
  if (!state.active || !state.visible) return null;
  const conv = state.conversations.get(state.active);
  if (!conv || conv.lastSeq === 0) return null;
  // Edits and recalls after the last message shown have nothing to show: read with it.
  const loaded = state.messages.get(state.active);
  let through = shown;
  while (loaded?.get(through + 1) && isUpdate(loaded.get(through + 1)!)) through++;
  const upTo = Math.min(through, conv.lastSeq);
  return upTo > conv.readSeq ? upTo : null;
}

/** Read up to `seq`: what others wrote after it, as far as this page knows, stays unread. */
function onRead(state: State, conversationId: string, seq: number): State {
  const conv = state.conversations.get(conversationId);
  if (!conv) return state;
  const readSeq = Math.max(conv.readSeq, Math.min(seq, conv.lastSeq));
  let after = 0;
  for (const m of state.messages.get(conversationId)?.values() ?? []) {
    if (m.seq > readSeq && m.from !== state.me.id && !isUpdate(m) && m.content.type !== "system") {
      after++;
    }
  }
  // A window on old messages: what came after it is not loaded, so only what this read passed
  // leaves the count.
  const passed = state.detached.has(conversationId)
    ? [...state.messages.get(conversationId)?.values() ?? []].filter((m) =>
      m.seq > conv.readSeq && m.seq <= readSeq && m.from !== state.me.id && !isUpdate(m) &&
      m.content.type !== "system"
    ).length
    : 0;
  const unread = readSeq >= conv.lastSeq
    ? 0
    : state.detached.has(conversationId)
    ? Math.max(0, conv.unread - passed)
    : Math.min(conv.unread, after);
  // Mentioned while an unread message mentions this user: the page knows only that none is left.
  const mentioned = unread === 0 ? false : conv.mentioned;
  if (readSeq === conv.readSeq && unread === conv.unread && mentioned === conv.mentioned) {
    return state;
  }
  return {
    ...state,
    conversations: put(state.conversations, conversationId, {
      ...conv,
      readSeq,
      unread,
      ...(mentioned === undefined ? {} : { mentioned }),
    }),
  };
}

/** A conversation's name: the group's, or the peer's nickname. */
export function title(state: State, conv: Conversation): string {
  if (conv.type === "group") {
    return (conv.group && state.groups.get(conv.group.id)?.group.name) ?? conv.group?.name ??
      "Group";
  }
  return conv.peer ? (state.users.get(conv.peer.id) ?? conv.peer).nickname : "Chat";
}

/** The total of unread messages over the conversations of the list (hidden ones are not). */
export function totalUnread(state: State): number {
  return [...state.conversations.values()].reduce((n, c) => n + (c.hidden ? 0 : c.unread), 0);
}
