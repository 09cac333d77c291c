/**
 * A person's screen (opened from a private chat's name or a group member's "More"): who they
 * are, a way to write to them or ask for a friendship, and Block or Unblock. A block is asked
 * in a dialog first and says what it does: they can no longer send this user friend requests
 * or private messages nor see when they are online, they are not told, and a friendship stays.
 * The Profile tab lists the blocked users with Unblock (`BlockedList`).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { User } from "../shared/types.ts";
import { Avatar, FieldError, Person } from "./components.tsx";
import { ConfirmDialog } from "./confirm_dialog.tsx";
import { errorText, type Session } from "./session.ts";
import type { State } from "./state.ts";

/** The screen of `state.person`, a dialog of the page. */
export function PersonScreen({ state, session }: { state: State; session: Session }) {
  const user = state.person;
  if (!user) return null;
  return <PersonDialog key={user.id} user={user} state={state} session={session} />;
}

function PersonDialog({ user, state, session }: { user: User; state: State; session: Session }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    dialog.current?.showModal();
    return () => dialog.current?.close();
  }, []);
  useEffect(() => {
    if (state.blocked === null) session.groups.loadBlocks().catch((e) => setError(errorText(e)));
  }, []);
  const close = () => session.dispatch({ type: "person", user: null });
  const friend = state.friends.get(user.id);
  const blocked = state.blocked?.some((u) => u.id === user.id) ?? false;
  const you = user.id === state.me.id;
  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError("");
    try {
      await action();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const who = `${user.nickname} (@${user.username})`;
  return (
    <dialog
      ref={dialog}
      class="confirm person-screen"
      aria-labelledby="person-title"
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      <div class="person-head">
        <Avatar who={user} size="large" />
        <h2 id="person-title" class="visually-hidden">{`Profile of ${who}`}</h2>
        <Person
          user={user}
          line={you
            ? "This is you"
            : blocked
            ? "Blocked by you"
            : friend
            ? "Your friend"
            : "Not a friend"}
        />
      </div>
      {blocked && (
        <p class="muted">
          They cannot send you friend requests or private messages, and do not see when you are
          online.
        </p>
      )}
      <FieldError id="person-error">{error}</FieldError>
      <div class="confirm-actions">
        <button type="button" class="ghost" autofocus onClick={close}>Close</button>
        {friend && !you && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              close();
              session.openWithUser(friend.user);
            }}
          >
            Message
          </button>
        )}
        {!you && (blocked
          ? (
            <button
              type="button"
              disabled={busy || state.blocked === null}
              onClick={() => void act(() => session.groups.unblock(user))}
            >
              Unblock
            </button>
          )
          : (
            <button
              type="button"
              class="danger"
              disabled={busy || state.blocked === null}
              onClick={() => setAsking(true)}
            >
              Block
            </button>
          ))}
      </div>
      {asking && (
        <ConfirmDialog
          id="block"
          title={`Block ${user.nickname}?`}
          action="Block"
          onClose={() => setAsking(false)}
          onConfirm={async () => {
            await session.groups.block(user);
            // A request of theirs ended with the block.
            await session.loadRequests();
          }}
        >
          {`${who} will no longer be able to send you friend requests or private messages, nor see when you are online. They are not told.${
            friend ? " You stay friends, and can unblock them at any time." : ""
          }`}
        </ConfirmDialog>
      )}
    </dialog>
  );
}

/** The Profile tab's list of blocked users, latest first, each with Unblock. */
export function BlockedList({ state, session, onBack }: {
  state: State;
  session: Session;
  onBack: () => void;
}) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState("");
  useEffect(() => {
    session.groups.loadBlocks().catch((e) => setError(errorText(e)));
  }, [session]);
  const list = state.blocked;
  return (
    <section class="account blocked" aria-labelledby="blocked-title">
      <button type="button" class="link" onClick={onBack}>← Back to profile</button>
      <h2 id="blocked-title">Blocked people</h2>
      <p class="muted">
        People you block cannot send you friend requests or private messages, and do not see when
        you are online. They are not told.
      </p>
      {list === null
        ? <p class="muted">Loading…</p>
        : list.length === 0
        ? <p class="empty">You have blocked nobody.</p>
        : (
          <ul class="requests" id="blocked-users">
            {list.map((user) => (
              <li key={user.id} class="person" data-blocked={user.id}>
                <Avatar who={user} />
                <Person user={user} />
                <button
                  type="button"
                  disabled={busy === user.id}
                  aria-label={`Unblock ${user.nickname} (@${user.username})`}
                  onClick={async () => {
                    setBusy(user.id);
                    setError("");
                    try {
                      await session.groups.unblock(user);
                    } catch (e) {
                      setError(errorText(e));
                    } finally {
                      setBusy("");
                    }
                  }}
                >
                  Unblock
                </button>
              </li>
            ))}
          </ul>
        )}
      <FieldError>{error}</FieldError>
    </section>
  );
}
