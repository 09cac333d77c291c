/**
 * The open chat's header: the way back, the name (a person's opens their profile), presence,
 * and for a group its notice, waiting join requests, Leave (asked in a dialog) and its details.
 */
import { useEffect, useState } from "preact/hooks";
import { Dot } from "./components.tsx";
import { LeaveDialog } from "./group_admin.tsx";
import { mayEdit } from "./group_admin_state.ts";
import { GroupDetails } from "./group_settings.tsx";
import { lastSeen } from "./relative_time.ts";
import type { Session } from "./session.ts";
import { type Conversation, type State, title } from "./state.ts";
import { ConversationMenu, MenuButton } from "./conversation_menu.tsx";
import { SearchPanel } from "./search_panel.tsx";

/** The header of a conversation. */
export function ChatHeader({ state, conv, session }: {
  state: State;
  conv: Conversation;
  session: Session;
}) {
  const [leaving, setLeaving] = useState(false);
  const [menu, setMenu] = useState(false);
  const [searching, setSearching] = useState(false);
  /** Search in this chat (a toggle) and the chat's menu (pin, mute, hide), in every header. */
  const tools = (
    <>
      <button
        type="button"
        class="ghost icon-button"
        aria-label="Search in this chat"
        title="Search in this chat"
        aria-expanded={searching}
        aria-controls="chat-search"
        onClick={() => setSearching(!searching)}
      >
        <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true">
          <circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" stroke-width="1.6" />
          <path
            d="M10 10 14.5 14.5"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
          />
        </svg>
      </button>
      <span class="menu-anchor">
        <MenuButton
          conv={conv}
          name={title(state, conv)}
          open={menu}
          onToggle={() => setMenu(!menu)}
        />
        {menu && <ConversationMenu conv={conv} session={session} onClose={() => setMenu(false)} />}
      </span>
      {searching && (
        <div id="chat-search" class="chat-search">
          <SearchPanel
            state={state}
            session={session}
            conversationId={conv.id}
            id="search-chat"
            onOpened={() => setSearching(false)}
          />
        </div>
      )}
    </>
  );
  const groupEntry = conv.type === "group" ? state.groups.get(conv.id.slice(2)) : undefined;
  const admin = groupEntry !== undefined && mayEdit(groupEntry.group, state.members, state.me.id);
  // The owner and admins see waiting join requests counted here, before opening the details.
  useEffect(() => {
    if (admin) session.groups.loadRequests(groupEntry.group.id).catch(() => {});
  }, [groupEntry?.group.id, admin]);
  const back = (
    <button
      type="button"
      class="back ghost"
      aria-label="Back to the list"
      onClick={() => session.dispatch({ type: "close_chat" })}
    >
      ‹
    </button>
  );
  if (conv.type === "user") {
    return (
      <header class="chat-header">
        {back}
        <PeerHeading state={state} conv={conv} session={session} />
        {tools}
      </header>
    );
  }
  const groupId = conv.id.slice(2);
  const entry = state.groups.get(groupId);
  const requests = state.joinRequests.get(groupId)?.length ?? 0;
  const online = entry?.onlineCount ?? 0;
  return (
    <header class="chat-header">
      {back}
      <h2 class="chat-title" title={title(state, conv)}>{title(state, conv)}</h2>
      <span class="presence" data-online-count={String(online)}>
        {`${entry?.group.memberCount ?? state.members.length} members, ${online} online`}
      </span>
      <button
        type="button"
        class="ghost"
        aria-expanded={state.showMembers}
        aria-controls="group-details"
        onClick={() => {
          session.dispatch({ type: "toggle_members" });
          // Nicknames of members who are not friends change without an event: read them again.
          if (session.state.showMembers) void session.loadMembers();
        }}
      >
        Members
      </button>
      {requests > 0 && (
        <button
          type="button"
          class="requests-pill"
          aria-controls="group-details"
          onClick={() => {
            if (!state.showMembers) session.dispatch({ type: "toggle_members" });
            // The requests head the details: bring them into view, drawn or about to be.
            requestAnimationFrame(() =>
              document.getElementById("join-requests-title")?.scrollIntoView({ block: "start" })
            );
          }}
        >
          {`${requests} join request${requests === 1 ? "" : "s"}`}
        </button>
      )}
      {entry && (
        <button type="button" class="ghost" onClick={() => setLeaving(true)}>
          Leave
        </button>
      )}
      {tools}
      {leaving && entry && (
        <LeaveDialog
          group={entry.group}
          owner={entry.group.ownerId === state.me.id}
          disband={false}
          session={session}
          onClose={() => setLeaving(false)}
        />
      )}
      {state.showMembers && entry && (
        <GroupDetails state={state} group={entry.group} session={session} />
      )}
      {!state.showMembers && entry?.group.notice && (
        <p class="group-notice" title={entry.group.notice}>
          <span class="visually-hidden">Notice:</span>
          {entry.group.notice}
        </p>
      )}
    </header>
  );
}

/** The name over the friend's presence ("last seen …" when the server says), then Unfriend. */
function PeerHeading({ state, conv, session }: {
  state: State;
  conv: Conversation;
  session: Session;
}) {
  const friend = conv.peer ? state.friends.get(conv.peer.id) : undefined;
  const seen = friend && !friend.online ? lastSeen(friend.user.lastSeenAt) : "";
  return (
    <>
      <div class="chat-heading">
        <h2 class="chat-title" title={title(state, conv)}>
          {conv.peer
            ? (
              <button
                type="button"
                class="title-button"
                title={`${title(state, conv)}: profile, block`}
                onClick={() =>
                  session.dispatch({
                    type: "person",
                    user: state.users.get(conv.peer!.id) ?? conv.peer!,
                  })}
              >
                {title(state, conv)}
              </button>
            )
            : title(state, conv)}
        </h2>
        {friend
          ? (
            <span class="presence">
              <Dot online={friend.online} />
              <span class="presence-text">{friend.online ? "online" : seen || "offline"}</span>
            </span>
          )
          : <span class="presence muted">Not a friend</span>}
      </div>
      {friend && (
        <button
          type="button"
          class="ghost"
          onClick={async () => {
            const { user } = friend;
            if (!confirm(`Remove ${user.nickname} (@${user.username}) from your friends?`)) return;
            // Already gone (removed from the other side) ends the same way: the list says.
            await session.client.removeFriend(user.id).catch(() => {});
            await session.loadFriends();
          }}
        >
          Unfriend
        </button>
      )}
    </>
  );
}
