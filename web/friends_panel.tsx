/** The Friends tab: finding people, friend requests both ways, and the friends with their presence. */
import { useState } from "preact/hooks";
import type { FriendRequest, User } from "../shared/types.ts";
import { Avatar, Dot, Person } from "./components.tsx";
import { lastSeen } from "./relative_time.ts";
import { RequestItem } from "./request_item.tsx";
import { SearchForm } from "./search_form.tsx";
import { errorText, type Session } from "./session.ts";
import type { State } from "./state.ts";

/** The longest note the server takes with a friend request. */
export const NOTE_MAX = 256;

/** Search, requests and friends. */
export function FriendsPanel({ state, session }: { state: State; session: Session }) {
  const found = state.foundUsers;
  const { incoming, outgoing } = state.requests;
  const friends = [...state.friends.values()].sort((a, b) =>
    Number(b.online) - Number(a.online) || a.user.nickname.localeCompare(b.user.nickname)
  );
  return (
    <>
      <SearchForm
        id="user-search"
        label="Find people"
        placeholder="Username or nickname"
        // Typed text survives re-draws and tab changes.
        text={state.searched.users}
        onText={(text) => session.dispatch({ type: "search_text", kind: "users", text })}
        onSearch={async (query) => {
          const users = await session.client.searchUsers(query);
          session.dispatch({ type: "found_users", query, users });
        }}
      />
      <ul class="results" aria-live="polite">
        {found?.length === 0 && <li class="empty">Nobody found.</li>}
        {found?.map((u) => <UserResult key={u.id} user={u} state={state} session={session} />)}
      </ul>
      <Requests title="Friend requests" list={incoming} session={session} />
      <Requests title="Sent requests" list={outgoing} session={session} />
      <h2>{`Friends (${friends.length})`}</h2>
      {friends.length === 0
        ? <p class="empty">No friends yet. Search for people above.</p>
        : (
          <ul class="friends">
            {friends.map(({ user, online }) => (
              <li key={user.id}>
                <button
                  type="button"
                  class="person"
                  data-friend={user.id}
                  onClick={() => session.openWithUser(user)}
                >
                  <span class="avatar-wrap">
                    <Avatar who={user} />
                    <Dot online={online} />
                  </span>
                  <span class="conv-text">
                    <span class="conv-name">{user.nickname}</span>
                    <span class="conv-last">{`@${user.username}`}</span>
                    {!online && lastSeen(user.lastSeenAt) && (
                      <span class="last-seen">{lastSeen(user.lastSeenAt)}</span>
                    )}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
    </>
  );
}

function Requests({ title, list, session }: {
  title: string;
  list: FriendRequest[];
  session: Session;
}) {
  if (list.length === 0) return null;
  return (
    <>
      <h2>{title}</h2>
      <ul class="requests">
        {list.map((r) => <RequestItem key={r.id} request={r} session={session} />)}
      </ul>
    </>
  );
}

function UserResult({ user, state, session }: { user: User; state: State; session: Session }) {
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [noting, setNoting] = useState(false);
  const [note, setNote] = useState("");
  const isFriend = state.friends.has(user.id);
  const sent = state.requests.outgoing.some((r) => r.to.id === user.id);
  const add = async () => {
    setBusy(true);
    setStatus("");
    try {
      const text = noting ? note.trim() : "";
      await session.client.requestFriend(user.id, text || undefined);
      // The lists now say it (Request sent, or a friend); a cancelled request brings the button back.
      await Promise.all([session.loadRequests(), session.loadFriends()]);
      setNoting(false);
      setNote("");
    } catch (error) {
      setStatus(errorText(error));
    } finally {
      setBusy(false);
    }
  };
  const canAsk = !isFriend && !sent;
  const noteId = `note-${user.id}`;
  return (
    <li class="person">
      <Avatar who={user} />
      <Person user={user} />
      {isFriend
        ? <button type="button" onClick={() => session.openWithUser(user)}>Message</button>
        : sent
        ? <span class="muted">Request sent</span>
        : canAsk && (
          <span class="row">
            <button type="button" data-add={user.username} disabled={busy} onClick={add}>
              Add friend
            </button>
            <button
              type="button"
              class="ghost"
              aria-expanded={noting}
              aria-controls={noteId}
              onClick={() => setNoting(!noting)}
            >
              {noting ? "Remove the note" : "Add a note"}
            </button>
          </span>
        )}
      {canAsk && noting && (
        <span class="note-field" id={noteId}>
          <label for={`${noteId}-text`}>{`Note to ${user.nickname} (optional)`}</label>
          <textarea
            id={`${noteId}-text`}
            rows={3}
            maxlength={NOTE_MAX}
            value={note}
            placeholder="Say who you are"
            onInput={(e) => setNote(e.currentTarget.value)}
          />
          <span class="muted">{`${[...note].length} / ${NOTE_MAX}`}</span>
        </span>
      )}
      {/* Once the lists show the request or the friendship, they say it instead. */}
      <span class="muted" role="status">{isFriend || sent ? "" : status}</span>
    </li>
  );
}
