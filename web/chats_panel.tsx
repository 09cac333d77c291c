/**
 * The Chats tab: the message search over all chats, then the conversations (pinned first, then
 * newest; hidden ones left out) with their last message, unread count, pin and mute marks, and
 * each one's menu (⋯, right click or long press).
 */
import { useEffect, useState } from "preact/hooks";
import { type Message, MODERATOR } from "../shared/types.ts";
import { isSystem } from "../client/mod.ts";
import { systemText } from "./system_text.ts";
import { Avatar, Badge, Names, when } from "./components.tsx";
import type { Session } from "./session.ts";
import { type Conversation, type State, title } from "./state.ts";
import { listed } from "./conversation_state.ts";
import { ConversationMenu, MenuButton, useLongPress } from "./conversation_menu.tsx";
import { SearchPanel } from "./search_panel.tsx";

/** Who wrote a conversation's last message, before it: "You: ", in a group "Ann: ". */
function author(state: State, conv: Conversation, from: string): string {
  if (from === state.me.id) return "You: ";
  if (conv.type !== "group") return "";
  const name = state.users.get(from)?.nickname;
  return name ? `${name}: ` : "";
}

/** A message in one line: its text with line breaks as spaces, or what it is. */
function summary(message: Message): string {
  const c = message.content;
  switch (c.type) {
    case "text":
      return c.text.replace(/\s+/g, " ");
    case "image":
      return "Photo";
    case "file":
      return `File: ${c.name}`;
    case "recalled":
      return c.recalledBy === MODERATOR ? "Message removed by a moderator" : "Message recalled";
    default:
      return "Message";
  }
}

/** The users the list names but does not know yet, asked for once each per page. */
const asked = new Set<string>();

/** Fetches the writers of groups' last messages the state has no name for. */
function useAuthors(state: State, session: Session, list: Conversation[]): void {
  const missing = list.flatMap((c) => {
    const last = c.type === "group" ? c.lastMessage : null;
    if (!last) return [];
    // A system line names the member it concerns too.
    const named = isSystem(last) && last.content.userId ? [last.from, last.content.userId] : [
      last.from,
    ];
    return named.filter((id) => !state.users.has(id) && !asked.has(id));
  });
  useEffect(() => {
    for (const id of new Set(missing)) {
      asked.add(id);
      session.client.user(id).then(({ user }) => session.dispatch({ type: "profile", user }))
        .catch(() => asked.delete(id));
    }
  }, [missing.join(",")]);
}

/** The list of conversations. */
export function ChatsPanel({ state, session }: { state: State; session: Session }) {
  const list = listed(state);
  const [searching, setSearching] = useState(false);
  const [menu, setMenu] = useState<string | null>(null);
  useAuthors(state, session, list);
  const search = (
    <SearchPanel state={state} session={session} id="search-all" onQuery={setSearching} />
  );
  // One tree whatever shows, so the search box keeps its state as results come and go.
  return (
    <>
      {search}
      {searching
        ? null
        : list.length === 0
        ? <p class="empty">No conversations yet. Add a friend or join a group to start.</p>
        : (
          <ul class="conversations">
            {list.map((conv) => (
              <ConversationItem
                key={conv.id}
                state={state}
                conv={conv}
                session={session}
                menu={menu === conv.id}
                onMenu={(open) => setMenu(open ? conv.id : null)}
              />
            ))}
          </ul>
        )}
    </>
  );
}

function ConversationItem({ state, conv, session, menu, onMenu }: {
  state: State;
  conv: Conversation;
  session: Session;
  /** Whether its menu is open. */
  menu: boolean;
  onMenu: (open: boolean) => void;
}) {
  const press = useLongPress(() => onMenu(true));
  const last = conv.lastMessage;
  const names = {
    me: state.me.id,
    nameOf: (id: string) => state.users.get(id)?.nickname ?? "Someone",
  };
  // A change of the group reads as its line ("Alice made Bob an admin"), with no author before it.
  const preview = !last
    ? ""
    : isSystem(last)
    ? systemText(last.content, last.sentAt, names)
    : `${author(state, conv, last.from)}${summary(last)}`;
  const name = title(state, conv);
  const active = conv.id === state.active;
  const { pressed, ...pressHandlers } = press;
  return (
    <li class="conversation-item">
      <button
        type="button"
        class={`conversation${active ? " active" : ""}`}
        id={`conversation-${conv.id}`}
        data-conversation={conv.id}
        data-pinned={conv.pinned ? "true" : undefined}
        data-muted={conv.muted ? "true" : undefined}
        aria-current={active ? "true" : undefined}
        onClick={() => {
          if (!pressed()) void session.open(conv.id);
        }}
        {...pressHandlers}
      >
        <Avatar
          who={conv.type === "group"
            ? { name, avatar: conv.group?.avatar ?? null }
            : { nickname: name, avatar: conv.peer?.avatar ?? null }}
        />
        <Names name={name} line={preview} />
        <span class="conv-meta">
          {last && <time dateTime={new Date(last.sentAt).toISOString()}>{when(last.sentAt)}</time>}
          <span class="badges">
            {conv.pinned && <PinMark />}
            {conv.muted && <MutedMark />}
            {conv.mentioned && conv.unread > 0 && (
              <span
                class="badge mention"
                aria-label="You were mentioned"
                title="You were mentioned"
              >
                @
              </span>
            )}
            <Badge count={conv.unread} label={`${conv.unread} unread`} unread />
          </span>
        </span>
      </button>
      <MenuButton
        conv={conv}
        name={name}
        describedBy={`conversation-${conv.id}`}
        open={menu}
        onToggle={() => onMenu(!menu)}
      />
      {menu && <ConversationMenu conv={conv} session={session} onClose={() => onMenu(false)} />}
    </li>
  );
}

/** The pin mark of a pinned conversation (drawn: emoji fonts are not everywhere). */
function PinMark() {
  return (
    <svg class="mark" viewBox="0 0 16 16" width="14" height="14" role="img" aria-label="Pinned">
      <title>Pinned</title>
      <path
        d="M10.5 1.5 14.5 5.5 13 6 10.5 8.5 10 12 8.5 13.5 5.5 10.5 2 14 2 14 5.5 10.5 2.5 7.5 4 6 7.5 5.5 10 3Z"
        fill="currentColor"
      />
    </svg>
  );
}

/** The mark of a muted conversation: a bell struck through. */
function MutedMark() {
  return (
    <svg class="mark" viewBox="0 0 16 16" width="14" height="14" role="img" aria-label="Muted">
      <title>Muted</title>
      <path
        d="M8 2a4 4 0 0 0-4 4v3L2.5 11.5h11L12 9V6a4 4 0 0 0-4-4Zm-1.5 10.5a1.5 1.5 0 0 0 3 0"
        fill="none"
        stroke="currentColor"
        stroke-width="1.4"
        stroke-linejoin="round"
      />
      <path d="M2 2 14 14" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
    </svg>
  );
}
