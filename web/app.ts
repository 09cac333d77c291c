/**
 * The web client: a single page on the SDK in client/. State lives in one App
 * object; each region of the page (top bar, side panel, chat) is re-drawn from
 * it when something it shows changes. Every piece of user text goes through
 * dom.ts as text, never as markup.
 */
import { ImClient, ImError } from "../client/mod.ts";
import type {
  ConversationSummary,
  FriendRequest,
  Group,
  GroupMember,
  Message,
  User,
} from "../shared/types.ts";
import { groupConversationId, privateConversationId } from "../shared/types.ts";
import { h, replace, when } from "./dom.ts";

const TOKEN_KEY = "im.token";
const PAGE = 30;
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

type Tab = "chats" | "friends" | "groups" | "profile";
type Conversation = Omit<ConversationSummary, "lastMessage"> & { lastMessage: Message | null };

/** A message of ours not yet given its seq by the server. */
interface Pending {
  clientMsgId: string;
  conversationId: string;
  content: Message["content"];
  failed?: string;
}

/** The human message of an error, as the server wrote it. */
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where a server error belongs in a form: next to the field it names, or under the form. */
function fieldOf(error: unknown, fields: string[]): [string, string] {
  const message = errorText(error);
  // Wrong credentials name both fields; they belong to the form as a whole.
  if (error instanceof ImError && error.code === "invalid_credentials") return ["form", message];
  const lower = message.toLowerCase();
  const field = fields.find((f) => lower.includes(f.toLowerCase())) ?? "form";
  return [field, message];
}

function avatar(user: { nickname?: string; name?: string; avatar: string | null }, size = "") {
  const label = user.nickname ?? user.name ?? "?";
  return user.avatar
    ? h("img", { class: `avatar ${size}`, src: user.avatar, alt: "" })
    : h("span", { class: `avatar ${size}`, "aria-hidden": "true" }, [...label][0] ?? "?");
}

/** The sign-in and registration screen. */
function authScreen(root: HTMLElement, onSignedIn: (client: ImClient, user: User) => void): void {
  let mode: "login" | "register" = "login";
  const draw = () => {
    const errors = new Map<string, HTMLElement>();
    const slot = (name: string) => {
      const el = h("p", { class: "field-error", id: `${name}-error`, role: "alert" });
      errors.set(name, el);
      return el;
    };
    const username = h("input", {
      id: "username",
      name: "username",
      autocomplete: "username",
      required: true,
      "aria-describedby": "username-error",
    });
    const password = h("input", {
      id: "password",
      name: "password",
      type: "password",
      autocomplete: mode === "login" ? "current-password" : "new-password",
      required: true,
      "aria-describedby": "password-error",
    });
    const nickname = h("input", { id: "nickname", name: "nickname", autocomplete: "nickname" });
    const submit = h("button", { type: "submit" }, mode === "login" ? "Sign in" : "Create account");
    const form = h(
      "form",
      {
        class: "auth-form",
        onsubmit: async (event: Event) => {
          event.preventDefault();
          for (const el of errors.values()) el.textContent = "";
          submit.disabled = true;
          const client = new ImClient({ baseUrl: location.origin });
          try {
            const { user, token } = mode === "login"
              ? await client.login(username.value, password.value)
              : await client.register(username.value, password.value, nickname.value || undefined);
            localStorage.setItem(TOKEN_KEY, token);
            onSignedIn(client, user);
          } catch (error) {
            const [field, message] = fieldOf(error, ["username", "password", "nickname"]);
            errors.get(field === "form" ? "form" : field)!.textContent = message;
            submit.disabled = false;
          }
        },
      },
      h("h1", {}, mode === "login" ? "Sign in" : "Create an account"),
      h("label", { for: "username" }, "Username"),
      username,
      slot("username"),
      h("label", { for: "password" }, "Password"),
      password,
      slot("password"),
      mode === "register" && [
        h("label", { for: "nickname" }, "Nickname (optional)"),
        nickname,
        slot("nickname"),
      ],
      submit,
      slot("form"),
      h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () => {
            mode = mode === "login" ? "register" : "login";
            draw();
          },
        },
        mode === "login" ? "No account? Create one" : "Have an account? Sign in",
      ),
    );
    replace(root, h("main", { class: "auth" }, h("div", { class: "brand" }, "im"), form));
    username.focus();
  };
  draw();
}

/** The signed-in application. */
class App {
  readonly client: ImClient;
  me: User;
  readonly root: HTMLElement;
  tab: Tab = "chats";
  active: string | null = null;
  readonly conversations = new Map<string, Conversation>();
  readonly messages = new Map<string, Map<number, Message>>();
  readonly pending = new Map<string, Pending>();
  readonly friends = new Map<string, { user: User; online: boolean }>();
  readonly groups = new Map<string, { group: Group; onlineCount: number }>();
  readonly users = new Map<string, User>();
  requests: { incoming: FriendRequest[]; outgoing: FriendRequest[] } = {
    incoming: [],
    outgoing: [],
  };
  members: GroupMember[] = [];
  /** The last searches and what they found (null: none yet), kept across re-draws. */
  searched = { users: "", groups: "" };
  foundUsers: User[] | null = null;
  foundGroups: Group[] | null = null;
  showMembers = false;
  reconnecting = false;
  everOpen = false;
  noOlder = new Set<string>();
  loadingOlder = false;

  readonly topbar = h("header", { class: "topbar" });
  readonly banner = h("div", { class: "banner", role: "status", "aria-live": "polite" });
  readonly sidebar = h("nav", { class: "sidebar", "aria-label": "Conversations and contacts" });
  readonly chat = h("main", { class: "chat", "aria-label": "Chat" });
  readonly shell = h("div", { class: "shell" });
  list: HTMLElement | null = null;

  constructor(root: HTMLElement, client: ImClient, me: User) {
    this.root = root;
    this.client = client;
    this.me = me;
    this.users.set(me.id, me);
    replace(this.shell, this.topbar, this.banner, this.sidebar, this.chat);
    replace(root, this.shell);
  }

  async start(): Promise<void> {
    const c = this.client;
    c.on("message", (m) => this.#onMessage(m));
    c.on("presence", ({ userId, online }) => {
      const friend = this.friends.get(userId);
      if (friend) friend.online = online;
      const member = this.members.find((m) => m.user.id === userId);
      if (member) member.online = online;
      this.drawSide();
      this.drawChatHeader();
    });
    c.on("group_online", ({ groupId, count }) => {
      const entry = this.groups.get(groupId);
      if (entry) entry.onlineCount = count;
      this.drawSide();
      this.drawChatHeader();
    });
    c.on("friend_request", () => void this.loadRequests());
    c.on("friend_added", (user) => {
      this.users.set(user.id, user);
      void Promise.all([this.loadFriends(), this.loadRequests()]);
    });
    c.on("profile", (user) => {
      this.users.set(user.id, user);
      if (user.id === this.me.id) this.me = user;
      const friend = this.friends.get(user.id);
      if (friend) friend.user = user;
      for (const conv of this.conversations.values()) {
        if (conv.peer?.id === user.id) conv.peer = user;
      }
      this.drawAll();
    });
    c.on("group_update", () => void this.loadGroups());
    c.on("state", (state) => {
      if (state === "open") {
        this.reconnecting = false;
        if (this.everOpen) void this.#caughtUp();
        this.everOpen = true;
      } else if (this.everOpen) {
        this.reconnecting = true;
      }
      this.drawBanner();
    });
    c.on("error", (e) => {
      if (!e.ref) return;
      const pending = this.pending.get(e.ref);
      if (pending) {
        pending.failed = e.message;
        this.drawMessages();
      }
    });
    document.addEventListener("visibilitychange", () => this.markRead());
    this.drawAll();
    await Promise.all([
      this.loadConversations(),
      this.loadFriends(),
      this.loadGroups(),
      this.loadRequests(),
    ]);
    this.drawAll();
    await c.connect();
  }

  // ---------- data ----------

  async loadConversations(): Promise<void> {
    const list = await this.client.conversations();
    for (const summary of list) {
      this.conversations.set(summary.id, { ...summary, lastMessage: summary.lastMessage ?? null });
      if (summary.peer) this.users.set(summary.peer.id, summary.peer);
    }
    this.drawSide();
  }

  async loadFriends(): Promise<void> {
    const list = await this.client.friends();
    this.friends.clear();
    for (const f of list) {
      this.friends.set(f.user.id, { user: f.user, online: f.online });
      this.users.set(f.user.id, f.user);
    }
    this.drawSide();
    this.drawChatHeader();
  }

  async loadGroups(): Promise<void> {
    const list = await this.client.groups();
    this.groups.clear();
    for (const g of list) this.groups.set(g.group.id, g);
    for (const conv of this.conversations.values()) {
      if (conv.group) conv.group = this.groups.get(conv.group.id)?.group ?? conv.group;
    }
    if (this.active?.startsWith("g:")) await this.loadMembers();
    this.drawSide();
    this.drawChatHeader();
  }

  async loadRequests(): Promise<void> {
    this.requests = await this.client.friendRequests();
    this.drawSide();
    this.drawTopbar();
  }

  async loadMembers(): Promise<void> {
    if (!this.active?.startsWith("g:")) return;
    const groupId = this.active.slice(2);
    try {
      const details = await this.client.group(groupId);
      this.members = details.members;
      for (const m of details.members) this.users.set(m.user.id, m.user);
      const entry = this.groups.get(groupId);
      if (entry) entry.onlineCount = details.onlineCount;
    } catch {
      this.members = [];
    }
    this.drawChatHeader();
  }

  /** After a reconnect: the server's counts are the truth; fetch what the open chat missed. */
  async #caughtUp(): Promise<void> {
    await Promise.all([this.loadConversations(), this.loadFriends(), this.loadGroups()]);
    if (this.active) await this.loadNewer(this.active);
    this.markRead();
  }

  #onMessage(m: Message): void {
    this.#store(m);
    const conv = this.conversations.get(m.conversationId);
    const isNew = !conv || m.seq > conv.lastSeq;
    if (conv) {
      if (isNew) {
        conv.lastSeq = m.seq;
        conv.lastMessage = m;
        if (m.from !== this.me.id && !this.#reading(m.conversationId)) conv.unread++;
      }
    } else {
      this.conversations.set(m.conversationId, this.#newConversation(m));
    }
    this.pending.delete(m.clientMsgId);
    if (m.conversationId === this.active) {
      this.drawMessages(true);
      this.markRead();
    }
    this.drawSide();
  }

  #newConversation(m: Message): Conversation {
    const group = m.to.type === "group" ? this.groups.get(m.to.id)?.group : undefined;
    const peerId = m.to.type === "user" ? (m.from === this.me.id ? m.to.id : m.from) : "";
    const peer = peerId ? this.users.get(peerId) : undefined;
    if (m.to.type === "group" && !group) void this.loadGroups();
    if (m.to.type === "user" && !peer) void this.loadConversations();
    return {
      id: m.conversationId,
      type: m.to.type,
      ...(peer ? { peer } : {}),
      ...(group ? { group } : {}),
      lastSeq: m.seq,
      readSeq: 0,
      unread: m.from !== this.me.id && !this.#reading(m.conversationId) ? 1 : 0,
      lastMessage: m,
    };
  }

  #store(m: Message): void {
    let map = this.messages.get(m.conversationId);
    if (!map) this.messages.set(m.conversationId, map = new Map());
    map.set(m.seq, m);
  }

  #reading(conversationId: string): boolean {
    return this.active === conversationId && document.visibilityState === "visible";
  }

  /** Marks the open conversation read up to its last message. */
  markRead(): void {
    if (!this.active || document.visibilityState !== "visible") return;
    const conv = this.conversations.get(this.active);
    if (!conv || conv.lastSeq === 0 || conv.readSeq >= conv.lastSeq) {
      if (conv && conv.unread) {
        conv.unread = 0;
        this.drawSide();
      }
      return;
    }
    conv.readSeq = conv.lastSeq;
    conv.unread = 0;
    this.client.read(conv.id, conv.lastSeq);
    this.drawSide();
  }

  async loadNewer(conversationId: string): Promise<void> {
    const map = this.messages.get(conversationId);
    const after = map && map.size ? Math.max(...map.keys()) : 0;
    for (let from = after;;) {
      const page = await this.client.history(conversationId, { after: from, limit: 200 });
      for (const m of page) this.#store(m);
      if (page.length < 200) break;
      from = page[page.length - 1].seq;
    }
    if (conversationId === this.active) this.drawMessages(true);
  }

  async loadOlder(): Promise<void> {
    const id = this.active;
    if (!id || this.loadingOlder || this.noOlder.has(id)) return;
    const map = this.messages.get(id);
    const oldest = map && map.size ? Math.min(...map.keys()) : 0;
    if (oldest <= 1) return void this.noOlder.add(id);
    this.loadingOlder = true;
    try {
      const page = await this.client.history(id, { before: oldest, limit: PAGE });
      for (const m of page) this.#store(m);
      if (page.length < PAGE) this.noOlder.add(id);
      if (id === this.active) this.drawMessages(false, true);
    } finally {
      this.loadingOlder = false;
    }
  }

  async open(conversationId: string): Promise<void> {
    this.active = conversationId;
    this.showMembers = false;
    this.members = [];
    this.shell.classList.add("chat-open");
    this.drawSide();
    this.drawChat();
    const conv = this.conversations.get(conversationId);
    if (!this.messages.get(conversationId)?.size && conv && conv.lastSeq > 0) {
      const page = await this.client.history(conversationId, {
        before: conv.lastSeq + 1,
        limit: PAGE,
      });
      for (const m of page) this.#store(m);
      if (page.length < PAGE) this.noOlder.add(conversationId);
    } else if (conv) {
      await this.loadNewer(conversationId);
    }
    if (conversationId.startsWith("g:")) await this.loadMembers();
    if (this.active === conversationId) {
      this.drawMessages(true);
      this.markRead();
    }
  }

  openWithUser(user: User): void {
    this.#openNew(privateConversationId(this.me.id, user.id), { type: "user", peer: user });
  }

  openWithGroup(group: Group): void {
    this.#openNew(groupConversationId(group.id), { type: "group", group });
  }

  /** Opens a conversation, making an empty entry for it if it has no message yet. */
  #openNew(id: string, who: Pick<Conversation, "type" | "peer" | "group">): void {
    if (!this.conversations.has(id)) {
      this.conversations.set(id, {
        id,
        ...who,
        lastSeq: 0,
        readSeq: 0,
        unread: 0,
        lastMessage: null,
      });
    }
    this.tab = "chats";
    void this.open(id);
  }

  title(conv: Conversation): string {
    if (conv.type === "group") {
      return (conv.group && this.groups.get(conv.group.id)?.group.name) ?? conv.group?.name ??
        "Group";
    }
    return conv.peer ? (this.users.get(conv.peer.id) ?? conv.peer).nickname : "Chat";
  }

  // ---------- sending ----------

  async sendText(text: string): Promise<void> {
    if (!this.active || !text.trim()) return;
    await this.#send({ type: "text", text });
  }

  async sendImage(file: File, report: (message: string) => void): Promise<void> {
    if (!this.active) return;
    if (!IMAGE_TYPES.includes(file.type)) {
      return report(`Cannot send "${file.name}": only PNG, JPEG, GIF and WebP images`);
    }
    try {
      const info = await this.client.uploadMedia(
        new Uint8Array(await file.arrayBuffer()),
        file.type,
      );
      await this.#send({ type: "image", mediaId: info.id, url: info.url });
    } catch (error) {
      report(errorText(error));
    }
  }

  async #send(content: Message["content"]): Promise<void> {
    const conversationId = this.active!;
    const conv = this.conversations.get(conversationId);
    if (!conv) return;
    const to = conv.type === "group"
      ? { type: "group" as const, id: conversationId.slice(2) }
      : { type: "user" as const, id: conv.peer!.id };
    const clientMsgId = crypto.randomUUID();
    this.pending.set(clientMsgId, { clientMsgId, conversationId, content });
    this.drawMessages(true);
    const input = content.type === "text"
      ? { type: "text" as const, text: content.text }
      : { type: "image" as const, mediaId: content.mediaId };
    try {
      await this.client.send(to, input, clientMsgId);
    } catch (error) {
      const pending = this.pending.get(clientMsgId);
      if (pending) pending.failed = errorText(error);
      this.drawMessages();
    }
  }

  // ---------- drawing ----------

  drawAll(): void {
    this.drawTopbar();
    this.drawBanner();
    this.drawSide();
    this.drawChat();
  }

  drawTopbar(): void {
    replace(
      this.topbar,
      h("span", { class: "brand" }, "im"),
      h(
        "span",
        { class: "me" },
        avatar(this.me, "small"),
        h("span", { class: "me-name" }, this.me.nickname),
      ),
      h("button", { type: "button", class: "ghost", onclick: () => this.logout() }, "Log out"),
    );
  }

  drawBanner(): void {
    this.banner.hidden = !this.reconnecting;
    this.banner.textContent = this.reconnecting ? "Connection lost. Reconnecting…" : "";
  }

  drawSide(): void {
    const tabs: [Tab, string, number][] = [
      ["chats", "Chats", [...this.conversations.values()].reduce((n, c) => n + c.unread, 0)],
      ["friends", "Friends", this.requests.incoming.length],
      ["groups", "Groups", 0],
      ["profile", "Profile", 0],
    ];
    const tablist = h(
      "div",
      { class: "tabs", role: "tablist" },
      tabs.map(([tab, label, count]) =>
        h(
          "button",
          {
            type: "button",
            role: "tab",
            id: `tab-${tab}`,
            "aria-selected": String(this.tab === tab),
            "aria-controls": "panel",
            onclick: () => {
              this.tab = tab;
              this.drawSide();
            },
          },
          label,
          count > 0 && h("span", { class: "badge", "aria-label": `${count} new` }, String(count)),
        )
      ),
    );
    const panel = h("section", {
      id: "panel",
      class: "panel",
      role: "tabpanel",
      "aria-labelledby": `tab-${this.tab}`,
    });
    const focused = document.activeElement?.id;
    if (this.tab === "chats") this.#chatsPanel(panel);
    if (this.tab === "friends") this.#friendsPanel(panel);
    if (this.tab === "groups") this.#groupsPanel(panel);
    if (this.tab === "profile") this.#profilePanel(panel);
    replace(this.sidebar, tablist, panel);
    if (focused) document.getElementById(focused)?.focus();
  }

  #chatsPanel(panel: HTMLElement): void {
    const list = [...this.conversations.values()]
      .filter((c) => c.lastMessage || c.id === this.active)
      .sort((a, b) => (b.lastMessage?.sentAt ?? Infinity) - (a.lastMessage?.sentAt ?? Infinity));
    if (list.length === 0) {
      panel.append(
        h("p", { class: "empty" }, "No conversations yet. Add a friend or join a group to start."),
      );
      return;
    }
    panel.append(h(
      "ul",
      { class: "conversations" },
      list.map((conv) => {
        const last = conv.lastMessage;
        const preview = last
          ? `${last.from === this.me.id ? "You: " : ""}${
            last.content.type === "text" ? last.content.text : "[image]"
          }`
          : "";
        const name = this.title(conv);
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `conversation${conv.id === this.active ? " active" : ""}`,
              "data-conversation": conv.id,
              "aria-current": conv.id === this.active ? "true" : null,
              onclick: () => void this.open(conv.id),
            },
            avatar(
              conv.type === "group" ? { name, avatar: conv.group?.avatar ?? null } : {
                nickname: name,
                avatar: conv.peer?.avatar ?? null,
              },
            ),
            h(
              "span",
              { class: "conv-text" },
              h("span", { class: "conv-name" }, name),
              h("span", { class: "conv-last" }, preview),
            ),
            h(
              "span",
              { class: "conv-meta" },
              last ? when(last.sentAt) : "",
              conv.unread > 0 &&
                h(
                  "span",
                  { class: "badge unread", "aria-label": `${conv.unread} unread` },
                  String(conv.unread),
                ),
            ),
          ),
        );
      }),
    ));
  }

  #friendsPanel(panel: HTMLElement): void {
    const found = this.foundUsers;
    const results = h(
      "ul",
      { class: "results", "aria-live": "polite" },
      found?.length === 0 && h("li", { class: "empty" }, "Nobody found."),
      found?.map((u) => this.#userResult(u)),
    );
    const q = h("input", {
      id: "user-search",
      type: "search",
      placeholder: "Username or nickname",
      value: this.searched.users,
      // Typed text survives the re-draws that presence events cause.
      oninput: (e: Event) => this.searched.users = (e.target as HTMLInputElement).value,
    });
    const searchError = h("p", { class: "field-error", role: "alert" });
    panel.append(
      h(
        "form",
        {
          class: "search",
          role: "search",
          onsubmit: async (e: Event) => {
            e.preventDefault();
            searchError.textContent = "";
            try {
              this.searched.users = q.value;
              this.foundUsers = (await this.client.searchUsers(q.value)).filter((u) =>
                u.id !== this.me.id
              );
              this.drawSide();
            } catch (error) {
              searchError.textContent = errorText(error);
            }
          },
        },
        h("label", { for: "user-search" }, "Find people"),
        h("div", { class: "row" }, q, h("button", { type: "submit" }, "Search")),
        searchError,
      ),
      results,
    );
    if (this.requests.incoming.length) {
      panel.append(
        h("h2", {}, "Friend requests"),
        h(
          "ul",
          { class: "requests" },
          this.requests.incoming.map((r) =>
            h(
              "li",
              { class: "person" },
              avatar(r.from),
              h(
                "span",
                { class: "conv-text" },
                h("span", { class: "conv-name" }, r.from.nickname),
                h("span", { class: "conv-last" }, r.note || `@${r.from.username}`),
              ),
              h("button", {
                type: "button",
                onclick: async () => {
                  await this.client.acceptFriend(r.id);
                  await Promise.all([this.loadRequests(), this.loadFriends()]);
                },
              }, "Accept"),
              h("button", {
                type: "button",
                class: "ghost",
                onclick: async () => {
                  await this.client.rejectFriend(r.id);
                  await this.loadRequests();
                },
              }, "Reject"),
            )
          ),
        ),
      );
    }
    if (this.requests.outgoing.length) {
      panel.append(
        h("h2", {}, "Sent requests"),
        h(
          "ul",
          { class: "requests" },
          this.requests.outgoing.map((r) =>
            h(
              "li",
              { class: "person" },
              avatar(r.to),
              h("span", { class: "conv-name" }, r.to.nickname),
              h("span", { class: "muted" }, "Pending"),
            )
          ),
        ),
      );
    }
    const friends = [...this.friends.values()].sort((a, b) =>
      Number(b.online) - Number(a.online) || a.user.nickname.localeCompare(b.user.nickname)
    );
    panel.append(
      h("h2", {}, `Friends (${friends.length})`),
      friends.length === 0
        ? h("p", { class: "empty" }, "No friends yet. Search for people above.")
        : h(
          "ul",
          { class: "friends" },
          friends.map(({ user, online }) =>
            h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "person",
                  "data-friend": user.id,
                  onclick: () => this.openWithUser(user),
                },
                h("span", { class: "avatar-wrap" }, avatar(user), this.#dot(online)),
                h(
                  "span",
                  { class: "conv-text" },
                  h("span", { class: "conv-name" }, user.nickname),
                  h("span", { class: "conv-last" }, `@${user.username}`),
                ),
              ),
            )
          ),
        ),
    );
  }

  #dot(online: boolean): HTMLElement {
    return h("span", {
      class: `dot ${online ? "online" : "offline"}`,
      role: "img",
      "aria-label": online ? "online" : "offline",
      title: online ? "online" : "offline",
    });
  }

  #userResult(user: User): HTMLElement {
    const status = h("span", { class: "muted", role: "status" });
    const isFriend = this.friends.has(user.id);
    const sent = this.requests.outgoing.some((r) => r.to.id === user.id);
    return h(
      "li",
      { class: "person" },
      avatar(user),
      h(
        "span",
        { class: "conv-text" },
        h("span", { class: "conv-name" }, user.nickname),
        h("span", { class: "conv-last" }, `@${user.username}`),
      ),
      isFriend
        ? h("button", { type: "button", onclick: () => this.openWithUser(user) }, "Message")
        : sent
        ? h("span", { class: "muted" }, "Request sent")
        : h("button", {
          type: "button",
          "data-add": user.username,
          onclick: async (e: Event) => {
            const button = e.currentTarget as HTMLButtonElement;
            button.disabled = true;
            try {
              const answer = await this.client.requestFriend(user.id);
              status.textContent = answer.friend ? "Now friends" : "Request sent";
              button.remove();
              await Promise.all([this.loadRequests(), this.loadFriends()]);
            } catch (error) {
              status.textContent = errorText(error);
              button.disabled = false;
            }
          },
        }, "Add friend"),
      status,
    );
  }

  #groupsPanel(panel: HTMLElement): void {
    const name = h("input", { id: "group-name", required: true, maxlength: 64 });
    const createError = h("p", { class: "field-error", role: "alert", id: "group-name-error" });
    const picks = [...this.friends.values()].map(({ user }) =>
      h(
        "label",
        { class: "pick" },
        h("input", { type: "checkbox", value: user.id, name: "member" }),
        user.nickname,
      )
    );
    panel.append(h(
      "form",
      {
        class: "create-group",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          createError.textContent = "";
          const form = e.currentTarget as HTMLFormElement;
          const ids = [...form.querySelectorAll<HTMLInputElement>("input[name=member]:checked")]
            .map((i) => i.value);
          try {
            const group = await this.client.createGroup(name.value, ids);
            await this.loadGroups();
            this.openWithGroup(group);
          } catch (error) {
            createError.textContent = errorText(error);
          }
        },
      },
      h("h2", {}, "New group"),
      h("label", { for: "group-name" }, "Group name"),
      name,
      createError,
      picks.length > 0 &&
        h("fieldset", {}, h("legend", {}, "Members from your friends"), picks),
      h("button", { type: "submit" }, "Create group"),
    ));

    const searchError = h("p", { class: "field-error", role: "alert" });
    const groupResult = (g: Group) =>
      h(
        "li",
        { class: "person" },
        avatar({ name: g.name, avatar: g.avatar }),
        h(
          "span",
          { class: "conv-text" },
          h("span", { class: "conv-name" }, g.name),
          h("span", { class: "conv-last" }, `${g.memberCount} members`),
        ),
        this.groups.has(g.id)
          ? h("button", { type: "button", onclick: () => this.openWithGroup(g) }, "Open")
          : h("button", {
            type: "button",
            "data-join": g.name,
            onclick: async () => {
              try {
                const joined = await this.client.joinGroup(g.id);
                await this.loadGroups();
                this.openWithGroup(joined);
              } catch (error) {
                searchError.textContent = errorText(error);
              }
            },
          }, "Join"),
      );
    const found = this.foundGroups;
    const results = h(
      "ul",
      { class: "results", "aria-live": "polite" },
      found?.length === 0 && h("li", { class: "empty" }, "No group found."),
      found?.map(groupResult),
    );
    const q = h("input", {
      id: "group-search",
      type: "search",
      placeholder: "Group name",
      value: this.searched.groups,
      oninput: (e: Event) => this.searched.groups = (e.target as HTMLInputElement).value,
    });
    panel.append(
      h(
        "form",
        {
          class: "search",
          role: "search",
          onsubmit: async (e: Event) => {
            e.preventDefault();
            searchError.textContent = "";
            try {
              this.searched.groups = q.value;
              this.foundGroups = await this.client.searchGroups(q.value);
              this.drawSide();
            } catch (error) {
              searchError.textContent = errorText(error);
            }
          },
        },
        h("label", { for: "group-search" }, "Find groups"),
        h("div", { class: "row" }, q, h("button", { type: "submit" }, "Search")),
        searchError,
      ),
      results,
    );
    const mine = [...this.groups.values()].sort((a, b) => a.group.name.localeCompare(b.group.name));
    panel.append(
      h("h2", {}, `My groups (${mine.length})`),
      mine.length === 0 ? h("p", { class: "empty" }, "You are in no group yet.") : h(
        "ul",
        { class: "friends" },
        mine.map(({ group, onlineCount }) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "person",
                "data-group": group.name,
                onclick: () => this.openWithGroup(group),
              },
              avatar({ name: group.name, avatar: group.avatar }),
              h(
                "span",
                { class: "conv-text" },
                h("span", { class: "conv-name" }, group.name),
                h(
                  "span",
                  { class: "conv-last" },
                  `${group.memberCount} members, ${onlineCount} online`,
                ),
              ),
            ),
          )
        ),
      ),
    );
  }

  #profilePanel(panel: HTMLElement): void {
    const nickname = h("input", {
      id: "profile-nickname",
      value: this.me.nickname,
      maxlength: 64,
      "aria-describedby": "profile-nickname-error",
    });
    const nickError = h("p", { class: "field-error", role: "alert", id: "profile-nickname-error" });
    const preview = h("div", { class: "avatar-preview" }, avatar(this.me, "large"));
    const file = h("input", {
      id: "profile-avatar",
      type: "file",
      accept: IMAGE_TYPES.join(","),
      "aria-describedby": "profile-avatar-error",
    });
    const avatarError = h("p", { class: "field-error", role: "alert", id: "profile-avatar-error" });
    const saved = h("p", { class: "muted", role: "status" });
    let chosen: File | null = null;
    file.addEventListener("change", () => {
      avatarError.textContent = "";
      chosen = file.files?.[0] ?? null;
      if (!chosen) return;
      if (!IMAGE_TYPES.includes(chosen.type)) {
        avatarError.textContent =
          `Cannot use "${chosen.name}": choose a PNG, JPEG, GIF or WebP image`;
        chosen = null;
        return;
      }
      replace(
        preview,
        h("img", { class: "avatar large", src: URL.createObjectURL(chosen), alt: "New avatar" }),
      );
    });
    panel.append(h(
      "form",
      {
        class: "profile",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          nickError.textContent = avatarError.textContent = saved.textContent = "";
          try {
            const patch: { nickname?: string; avatar?: string } = {};
            if (nickname.value !== this.me.nickname) patch.nickname = nickname.value;
            if (chosen) {
              const media = await this.client.uploadMedia(
                new Uint8Array(await chosen.arrayBuffer()),
                chosen.type,
              ).catch((error) => {
                avatarError.textContent = errorText(error);
                throw null;
              });
              patch.avatar = media.id;
            }
            if (Object.keys(patch).length === 0) return;
            this.me = await this.client.updateMe(patch);
            this.users.set(this.me.id, this.me);
            saved.textContent = "Saved";
            this.drawTopbar();
          } catch (error) {
            if (error !== null) nickError.textContent = errorText(error);
          }
        },
      },
      h("h2", {}, "Profile"),
      h("p", { class: "muted" }, `Signed in as @${this.me.username}`),
      preview,
      h("label", { for: "profile-avatar" }, "Avatar (PNG, JPEG, GIF or WebP, up to 5 MB)"),
      file,
      avatarError,
      h("label", { for: "profile-nickname" }, "Nickname"),
      nickname,
      nickError,
      h("button", { type: "submit" }, "Save"),
      saved,
    ));
  }

  drawChat(): void {
    const conv = this.active ? this.conversations.get(this.active) : null;
    if (!conv) {
      this.shell.classList.remove("chat-open");
      replace(
        this.chat,
        h(
          "div",
          { class: "placeholder" },
          h("p", {}, "Choose a conversation, or start one from Friends or Groups."),
        ),
      );
      return;
    }
    const header = h("header", { class: "chat-header" });
    this.list = h("ol", { class: "messages", "aria-live": "polite", "aria-label": "Messages" });
    this.list.addEventListener("scroll", () => {
      if (this.list!.scrollTop < 40) void this.loadOlder();
    });
    const composerError = h("p", { class: "field-error", role: "alert", id: "composer-error" });
    const report = (message: string) => composerError.textContent = message;
    const text = h("textarea", {
      id: "composer",
      rows: 1,
      placeholder: "Write a message",
      "aria-describedby": "composer-error",
    });
    const submit = async () => {
      const value = text.value;
      if (!value.trim()) return;
      text.value = "";
      composerError.textContent = "";
      await this.sendText(value);
    };
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void submit();
      }
    });
    text.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      e.preventDefault();
      for (const f of files) void this.sendImage(f, report);
    });
    const file = h("input", {
      id: "image-input",
      type: "file",
      accept: IMAGE_TYPES.join(","),
      class: "visually-hidden",
    });
    file.addEventListener("change", () => {
      for (const f of file.files ?? []) void this.sendImage(f, report);
      file.value = "";
    });
    const composer = h(
      "form",
      {
        class: "composer",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void submit();
        },
      },
      h("label", { for: "image-input", class: "attach", title: "Send an image" }, "Image", file),
      h("label", { for: "composer", class: "visually-hidden" }, "Message"),
      text,
      h("button", { type: "submit" }, "Send"),
    );
    this.chat.ondragover = (e) => e.preventDefault();
    this.chat.ondrop = (e) => {
      e.preventDefault();
      for (const f of e.dataTransfer?.files ?? []) void this.sendImage(f, report);
    };
    replace(this.chat, header, this.list, composerError, composer);
    this.drawChatHeader();
    this.drawMessages(true);
    text.focus();
  }

  drawChatHeader(): void {
    const header = this.chat.querySelector(".chat-header");
    const conv = this.active ? this.conversations.get(this.active) : null;
    if (!header || !conv) return;
    const back = h("button", {
      type: "button",
      class: "back ghost",
      "aria-label": "Back to the list",
      onclick: () => {
        this.active = null;
        this.shell.classList.remove("chat-open");
        this.drawSide();
        this.drawChat();
      },
    }, "‹");
    if (conv.type === "user") {
      const friend = conv.peer ? this.friends.get(conv.peer.id) : undefined;
      replace(
        header,
        back,
        h("h2", { class: "chat-title" }, this.title(conv)),
        friend &&
          h(
            "span",
            { class: "presence" },
            this.#dot(friend.online),
            friend.online ? "online" : "offline",
          ),
      );
      return;
    }
    const groupId = conv.id.slice(2);
    const entry = this.groups.get(groupId);
    const members = h(
      "ul",
      { class: "members", id: "members", hidden: !this.showMembers },
      this.members.map((m) =>
        h(
          "li",
          {},
          this.#dot(m.online),
          m.user.nickname,
          m.role === "owner" && h("span", { class: "muted" }, " (owner)"),
        )
      ),
    );
    replace(
      header,
      back,
      h("h2", { class: "chat-title" }, this.title(conv)),
      h(
        "span",
        { class: "presence", "data-online-count": String(entry?.onlineCount ?? 0) },
        `${entry?.group.memberCount ?? this.members.length} members, ${
          entry?.onlineCount ?? 0
        } online`,
      ),
      h("button", {
        type: "button",
        class: "ghost",
        "aria-expanded": String(this.showMembers),
        "aria-controls": "members",
        onclick: () => {
          this.showMembers = !this.showMembers;
          this.drawChatHeader();
        },
      }, "Members"),
      entry && h("button", {
        type: "button",
        class: "ghost",
        onclick: async () => {
          if (!confirm(`Leave ${entry.group.name}?`)) return;
          await this.client.leaveGroup(groupId);
          this.active = null;
          this.conversations.delete(conv.id);
          await this.loadGroups();
          this.drawAll();
        },
      }, "Leave"),
      members,
    );
  }

  /** Draws the open conversation's messages; keeps the view at the bottom or where it was. */
  drawMessages(toBottom = false, keepTop = false): void {
    const list = this.list;
    const id = this.active;
    if (!list || !id) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    const fromBottom = list.scrollHeight - list.scrollTop;
    const conv = this.conversations.get(id);
    const stored = [...(this.messages.get(id)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    const pending = [...this.pending.values()].filter((p) => p.conversationId === id);
    const items: HTMLElement[] = [];
    if (this.noOlder.has(id) || (stored[0]?.seq ?? 1) <= 1) {
      items.push(h("li", { class: "start muted" }, "This is the start of the conversation."));
    }
    let previous = "";
    for (const m of stored) {
      items.push(this.#bubble(m.from, m.content, {
        seq: m.seq,
        time: m.sentAt,
        showName: conv?.type === "group" && m.from !== previous && m.from !== this.me.id,
      }));
      previous = m.from;
    }
    for (const p of pending) {
      items.push(this.#bubble(this.me.id, p.content, { failed: p.failed }));
    }
    replace(list, items);
    if (keepTop) list.scrollTop = list.scrollHeight - fromBottom;
    else if (toBottom || atBottom) list.scrollTop = list.scrollHeight;
  }

  #bubble(
    from: string,
    content: Message["content"],
    { seq, time, showName = false, failed }: {
      seq?: number;
      time?: number;
      showName?: boolean;
      failed?: string;
    },
  ): HTMLElement {
    const mine = from === this.me.id;
    const sender = this.users.get(from);
    const state = seq === undefined ? (failed ? "failed" : "pending") : "stored";
    const body = content.type === "text" ? h("p", { class: "text" }, content.text) : h(
      "a",
      { href: content.url, target: "_blank", rel: "noopener", class: "image-link" },
      h("img", {
        src: content.url,
        alt: "Image",
        loading: "lazy",
        ...(content.width && content.height
          ? {
            width: Math.min(240, content.width),
            height: Math.round(Math.min(240, content.width) * content.height / content.width),
          }
          : {}),
      }),
    );
    return h(
      "li",
      {
        class: `message ${mine ? "mine" : "theirs"} ${state}`,
        ...(seq !== undefined ? { "data-seq": String(seq) } : {}),
      },
      showName && h("span", { class: "sender" }, sender?.nickname ?? "Someone"),
      body,
      h(
        "span",
        { class: "meta" },
        state === "pending"
          ? "Sending…"
          : state === "failed"
          ? `Not sent: ${failed}`
          : when(time ?? Date.now()),
      ),
    );
  }

  async logout(): Promise<void> {
    try {
      await this.client.logout();
    } catch {
      // Signed out locally either way.
    }
    await this.client.close();
    localStorage.removeItem(TOKEN_KEY);
    location.reload();
  }
}

/** Starts the page: signed in from a stored token, or the sign-in screen. */
export async function main(root: HTMLElement): Promise<void> {
  const begin = async (client: ImClient, user: User) => {
    const app = new App(root, client, user);
    (globalThis as { im?: App }).im = app;
    await app.start();
  };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) {
    const client = new ImClient({ baseUrl: location.origin, token });
    try {
      const user = await client.me();
      return await begin(client, user);
    } catch (error) {
      if (!(error instanceof ImError && error.code === "unauthenticated")) throw error;
      localStorage.removeItem(TOKEN_KEY);
    }
  }
  authScreen(root, (client, user) => void begin(client, user));
}
