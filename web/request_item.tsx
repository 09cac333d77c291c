/**
 * One friend request: who (nickname and @username), when, and the whole note, wrapped, never
 * cut. The receiver accepts or rejects, or opens the sender's screen to block them (which ends the
 * request); the sender may cancel while it is pending.
 */
import { useState } from "preact/hooks";
import type { FriendRequest } from "../shared/types.ts";
import { Avatar, FieldError } from "./components.tsx";
import { fullDateTime } from "./format.ts";
import { relativeTime } from "./relative_time.ts";
import { errorText, type Session } from "./session.ts";

/** A request of the Friends tab, incoming or outgoing. */
export function RequestItem({ request: r, session }: { request: FriendRequest; session: Session }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const incoming = r.to.id === session.state.me.id;
  const who = incoming ? r.from : r.to;
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError("");
    try {
      await action();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
    await Promise.all([session.loadRequests(), session.loadFriends()]);
  };
  return (
    <li
      class="person request"
      data-request={incoming ? r.id : undefined}
      data-outgoing={incoming ? undefined : r.id}
    >
      <Avatar who={who} />
      <span class="conv-text">
        <span class="conv-name">{who.nickname}</span>
        <span class="handle">{`@${who.username}`}</span>
        <time
          class="request-time"
          dateTime={new Date(r.createdAt).toISOString()}
          title={fullDateTime(r.createdAt)}
        >
          {`${incoming ? "Received" : "Sent"} ${relativeTime(r.createdAt)}`}
        </time>
        {/* The requester's own words: a quote, never where the username belongs. */}
        {r.note && <span class="conv-last note">{`“${r.note}”`}</span>}
      </span>
      {incoming
        ? (
          <span class="row">
            <button
              type="button"
              disabled={busy}
              onClick={() => act(() => session.client.acceptFriend(r.id))}
            >
              Accept
            </button>
            <button
              type="button"
              class="ghost"
              disabled={busy}
              onClick={() => act(() => session.client.rejectFriend(r.id))}
            >
              Reject
            </button>
            <button
              type="button"
              class="ghost"
              aria-label={`Block ${who.nickname} (@${who.username})`}
              onClick={() => session.dispatch({ type: "person", user: who })}
            >
              Block…
            </button>
          </span>
        )
        : (
          <span class="row">
            <span class="muted pending">Pending</span>
            <button
              type="button"
              class="ghost"
              disabled={busy}
              aria-label={`Cancel request to ${who.nickname}`}
              onClick={() => act(() => session.client.cancelFriendRequest(r.id))}
            >
              Cancel request
            </button>
          </span>
        )}
      <FieldError>{error}</FieldError>
    </li>
  );
}
