/** The Friends tab: finding people, friend requests both ways, and the friends with their presence. */
import { useState } from "preact/hooks";
import type { FriendRequest, User } from "../shared/types.ts";
import { Avatar, Dot, Names, Person } from "./components.tsx";
import { SearchForm } from "./search_form.tsx";
import { errorText, type Session } from "./session.ts";
import type { State } from "./state.ts";

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
      {incoming.length > 0 && (
        <>
          <h2>Friend requests</h2>
          <ul class="requests">
            {incoming.map((r) => <Incoming key={r.id} request={r} session={session} />)}
          </ul>
        </>
      )}
      {outgoing.length > 0 && (
        <>
          <h2>Sent requests</h2>
          <ul class="requests">
            {outgoing.map((r) => (
              <li key={r.id} class="person" data-outgoing={r.id}>
                <Avatar who={r.to} />
                <Person user={r.to} />
                <span class="muted">Pending</span>
              </li>
            ))}
          </ul>
        </>
      )}
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
                  <Names name={user.nickname} line={`@${user.username}`} />
                </button>
              </li>
            ))}
          </ul>
        )}
    </>
  );
}

function Incoming({ request: r, session }: { request: FriendRequest; session: Session }) {
  return (
    <li class="person" data-request={r.id}>
      <Avatar who={r.from} />
      {/* The note is the requester's own words: shown as a quote, never where the username belongs. */}
      <Person user={r.from} line={r.note ? `“${r.note}”` : ""} />
      <button
        type="button"
        onClick={async () => {
          await session.client.acceptFriend(r.id);
          await Promise.all([session.loadRequests(), session.loadFriends()]);
        }}
      >
        Accept
      </button>
      <button
        type="button"
        class="ghost"
        onClick={async () => {
          await session.client.rejectFriend(r.id);
          await session.loadRequests();
        }}
      >
        Reject
      </button>
    </li>
  );
}

function UserResult({ user, state, session }: { user: User; state: State; session: Session }) {
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [asked, setAsked] = useState(false);
  const isFriend = state.friends.has(user.id);
  const sent = state.requests.outgoing.some((r) => r.to.id === user.id);
  const add = async () => {
    setBusy(true);
    try {
      const answer = await session.client.requestFriend(user.id);
      setStatus(answer.friend ? "Now friends" : "Request sent");
      setAsked(true);
      await Promise.all([session.loadRequests(), session.loadFriends()]);
    } catch (error) {
      setStatus(errorText(error));
      setBusy(false);
    }
  };
  return (
    <li class="person">
      <Avatar who={user} />
      <Person user={user} />
      {isFriend
        ? <button type="button" onClick={() => session.openWithUser(user)}>Message</button>
        : sent
        ? <span class="muted">Request sent</span>
        : !asked && (
          <button type="button" data-add={user.username} disabled={busy} onClick={add}>
            Add friend
          </button>
        )}
      {/* Once the lists show the request or the friendship, they say it instead. */}
      <span class="muted" role="status">{isFriend || sent ? "" : status}</span>
    </li>
  );
}
