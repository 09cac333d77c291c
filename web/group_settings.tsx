/**
 * A group's details under its chat header: its settings (editable by the owner and admins,
 * group_admin.tsx), the join requests, the members with their roles (a friend opens their
 * private chat; the "More" button their profile and what the user may do to them), adding
 * members from one's friends (any member may), and leaving or disbanding.
 */
import { useState } from "preact/hooks";
import type { Group, GroupMember, User } from "../shared/types.ts";
import { Dot, FieldError } from "./components.tsx";
import {
  GroupSettings,
  JoinRequests,
  LeaveOrDisband,
  MemberActions,
  MemberBadges,
} from "./group_admin.tsx";
import { errorText, type Session } from "./session.ts";
import type { State } from "./state.ts";

/** Settings, join requests, members, adding friends, leaving. */
export function GroupDetails({ state, group, session }: {
  state: State;
  group: Group;
  session: Session;
}) {
  return (
    <section class="group-details" id="group-details" aria-label={`About ${group.name}`}>
      <JoinRequests state={state} group={group} session={session} />
      <h3>{`Members (${state.members.length})`}</h3>
      <ul class="members" id="members">
        {state.members.map((m) => (
          <MemberItem key={m.user.id} member={m} group={group} state={state} session={session} />
        ))}
      </ul>
      <AddMembers state={state} group={group} session={session} />
      {state.members.length > 0 && <GroupSettings state={state} group={group} session={session} />}
      <LeaveOrDisband state={state} group={group} session={session} />
    </section>
  );
}

function MemberItem({ member: m, group, state, session }: {
  member: GroupMember;
  group: Group;
  state: State;
  session: Session;
}) {
  const friend = state.friends.has(m.user.id);
  const you = m.user.id === state.me.id;
  const body = (
    <span class="member-who">
      {m.online !== undefined && <Dot online={m.online} />}
      <span class="member-name">{m.user.nickname}</span>
      <span class="handle">{`@${m.user.username}`}</span>
      <MemberBadges member={m} now={Date.now()} />
      {you && <span class="muted">(you)</span>}
    </span>
  );
  return (
    <li data-member={m.user.id}>
      {friend
        ? (
          <button
            type="button"
            class="member"
            onClick={() => session.openWithUser(m.user)}
          >
            {body}
            <span class="member-action">Message</span>
          </button>
        )
        : (
          <span class="member">
            {body}
            {!you && <AskFriend user={m.user} state={state} session={session} />}
          </span>
        )}
      <MemberActions member={m} group={group} state={state} session={session} />
    </li>
  );
}

/** For a member who is not a friend: a private chat needs a friendship, so ask for one. */
function AskFriend({ user, state, session }: { user: User; state: State; session: Session }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const asked = state.requests.outgoing.some((r) => r.to.id === user.id);
  if (asked) return <span class="member-action muted">Request sent</span>;
  return (
    <>
      <button
        type="button"
        class="link member-action"
        disabled={busy}
        aria-label={`Add friend ${user.nickname} (@${user.username})`}
        onClick={async () => {
          setBusy(true);
          setError("");
          try {
            await session.client.requestFriend(user.id);
            await Promise.all([session.loadRequests(), session.loadFriends()]);
          } catch (error) {
            setError(errorText(error));
          } finally {
            setBusy(false);
          }
        }}
      >
        Add friend
      </button>
      <FieldError>{error}</FieldError>
    </>
  );
}

/** Friends not in the group yet, to tick and add. */
function AddMembers({ state, group, session }: {
  state: State;
  group: Group;
  session: Session;
}) {
  const [error, setError] = useState("");
  const inGroup = new Set(state.members.map((m) => m.user.id));
  const candidates = [...state.friends.values()].filter((f) => !inGroup.has(f.user.id));
  if (state.members.length === 0) return null;
  if (candidates.length === 0) {
    return <p class="muted">Every friend of yours is in this group.</p>;
  }
  return (
    <form
      class="add-members"
      onSubmit={async (e) => {
        e.preventDefault();
        setError("");
        const ids = new FormData(e.currentTarget).getAll("member").map(String);
        if (ids.length === 0) return setError("Tick the friends to add first.");
        try {
          await session.client.addGroupMembers(group.id, ids);
          await session.loadGroups();
        } catch (error) {
          setError(errorText(error));
        }
      }}
    >
      <fieldset>
        <legend>Add from your friends</legend>
        {candidates.map(({ user }) => (
          <label key={user.id} class="pick">
            <input type="checkbox" name="member" value={user.id} />
            {user.nickname} <span class="handle">{`@${user.username}`}</span>
          </label>
        ))}
      </fieldset>
      <FieldError>{error}</FieldError>
      <button type="submit">Add to group</button>
    </form>
  );
}
