/** The signed-in page: top bar, reconnect banner, side panel with its tabs, and the chat. */
import { useEffect, useState } from "preact/hooks";
import { ChatView } from "./chat_view.tsx";
import { ChatsPanel } from "./chats_panel.tsx";
import { Avatar, Badge, Stale } from "./components.tsx";
import { FriendsPanel } from "./friends_panel.tsx";
import { GroupsPanel } from "./groups_panel.tsx";
import { Notice } from "./notice.tsx";
import { NotifySettings } from "./notify_settings.tsx";
import { PersonScreen } from "./person_screen.tsx";
import { ProfilePanel } from "./profile_panel.tsx";
import type { Session } from "./session.ts";
import { type State, type Tab, totalUnread } from "./state.ts";

/** The page of a session, re-drawn (diffed) on each new state. */
export function Shell({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const [state, setState] = useState(session.state);
  useEffect(() => {
    const off = session.subscribe(setState);
    setState(session.state);
    return off;
  }, [session]);
  const open = state.active !== null && state.conversations.has(state.active);
  const unread = totalUnread(state);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) im` : "im";
  }, [unread]);
  useEffect(() => () => void (document.title = "im"), []);
  const stale = state.reconnecting;
  return (
    <Stale.Provider value={stale}>
      <div class={`shell${open ? " chat-open" : ""}${stale ? " stale" : ""}`}>
        <header class="topbar">
          <span class="brand">im</span>
          <span class="me">
            <Avatar who={state.me} size="small" />
            <span class="me-name" title={state.me.nickname}>{state.me.nickname}</span>
          </span>
          <button type="button" class="ghost" onClick={onLogout}>Log out</button>
        </header>
        <div class="banner" role="status" aria-live="polite" hidden={!stale}>
          {stale ? "Connection lost. Reconnecting… Online status may be out of date." : ""}
        </div>
        <nav class="sidebar" aria-label="Conversations and contacts">
          <Notice state={state} session={session} />
          <Sidebar state={state} session={session} />
        </nav>
        <ChatView state={state} session={session} />
        <PersonScreen state={state} session={session} />
      </div>
    </Stale.Provider>
  );
}

const PANELS = {
  chats: ChatsPanel,
  friends: FriendsPanel,
  groups: GroupsPanel,
  profile: ProfilePanel,
};

function Sidebar({ state, session }: { state: State; session: Session }) {
  const tabs: [Tab, string, number][] = [
    ["chats", "Chats", totalUnread(state)],
    ["friends", "Friends", state.requests.incoming.length],
    ["groups", "Groups", 0],
    ["profile", "Profile", 0],
  ];
  const Panel = PANELS[state.tab];
  return (
    <>
      <div class="tabs" role="tablist">
        {tabs.map(([tab, label, count]) => (
          <button
            key={tab}
            type="button"
            role="tab"
            id={`tab-${tab}`}
            aria-selected={state.tab === tab}
            aria-controls="panel"
            onClick={() => session.dispatch({ type: "tab", tab })}
          >
            <span class="tab-label">{label}</span>
            <Badge count={count} label={`${count} new`} />
          </button>
        ))}
      </div>
      <section id="panel" class="panel" role="tabpanel" aria-labelledby={`tab-${state.tab}`}>
        <Panel state={state} session={session} />
        {state.tab === "profile" && <NotifySettings me={state.me} />}
      </section>
    </>
  );
}
