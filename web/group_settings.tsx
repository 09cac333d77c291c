/**
 * A group's details under its chat header: the members (a friend opens their private chat),
 * adding members from one's friends (any member may), and for the owner only the name and
 * picture of the group.
 */
import { useState } from "preact/hooks";
import type { Group, GroupMember, User } from "../shared/types.ts";
import { Avatar, Dot, FieldError } from "./components.tsx";
import { errorText, IMAGE_TYPES, type Session } from "./session.ts";
import type { State } from "./state.ts";

/** The longest group name the server takes. */
const NAME_MAX = 64;

/** Members, adding friends, and the owner's settings. */
export function GroupDetails({ state, group, session }: {
  state: State;
  group: Group;
  session: Session;
}) {
  const owner = group.ownerId === state.me.id;
  return (
    <section class="group-details" id="group-details" aria-label={`About ${group.name}`}>
      <h3>Members</h3>
      <ul class="members" id="members">
        {state.members.map((m) => (
          <MemberItem key={m.user.id} member={m} state={state} session={session} />
        ))}
      </ul>
      <AddMembers state={state} group={group} session={session} />
      {owner && <OwnerSettings key={group.id} group={group} session={session} />}
    </section>
  );
}

function MemberItem({ member: m, state, session }: {
  member: GroupMember;
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
      {m.role === "owner" && <span class="muted">(owner)</span>}
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

/** The owner's form: the group's name and picture (the picture's type checked before upload). */
function OwnerSettings({ group, session }: { group: Group; session: Session }) {
  const [error, setError] = useState("");
  const [saved, setSaved] = useState("");
  const save = async (form: HTMLFormElement) => {
    setError("");
    setSaved("");
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const file = data.get("avatar");
    const patch: { name?: string; avatar?: string } = {};
    if (name && name !== group.name) patch.name = name;
    try {
      if (file instanceof File && file.size > 0) {
        if (!IMAGE_TYPES.includes(file.type)) {
          return setError(`Cannot use "${file.name}": choose a PNG, JPEG, GIF or WebP image`);
        }
        const media = await session.client.uploadMedia(
          new Uint8Array(await file.arrayBuffer()),
          file.type,
        );
        patch.avatar = media.id;
      }
      if (Object.keys(patch).length === 0) return setSaved("Nothing to change");
      session.dispatch({
        type: "group_update",
        group: await session.client.updateGroup(group.id, patch),
      });
      form.reset();
      setSaved("Saved");
    } catch (error) {
      setError(errorText(error));
    }
  };
  return (
    <form
      class="group-settings"
      onSubmit={(e) => {
        e.preventDefault();
        void save(e.currentTarget);
      }}
    >
      <h3>Group settings</h3>
      <div class="group-avatar">
        <Avatar who={{ name: group.name, avatar: group.avatar }} size="large" />
      </div>
      <label for="group-rename">Name of the group</label>
      <input
        id="group-rename"
        name="name"
        defaultValue={group.name}
        maxlength={NAME_MAX}
        required
      />
      <label for="group-avatar">Group picture (PNG, JPEG, GIF or WebP)</label>
      <input id="group-avatar" name="avatar" type="file" accept={IMAGE_TYPES.join(",")} />
      <FieldError>{error}</FieldError>
      <button type="submit">Save group</button>
      <span class="muted" role="status">{saved}</span>
    </form>
  );
}
