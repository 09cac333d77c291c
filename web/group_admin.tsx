/**
 * Running a group, in its details under the chat header (issue 16): the settings (name,
 * picture, notice, who may join, what new members read, mute all) editable by the owner and
 * admins and shown read-only to members; the pending join requests with Accept and Reject;
 * each member's actions for whoever may take them (make or remove admin, mute for an hour, a
 * day or until unmuted, unmute, remove, make owner); and leaving or disbanding, each asked
 * in a dialog of the page first.
 */
import { useEffect, useState } from "preact/hooks";
import type { Group, GroupHistory, GroupMember, JoinPolicy } from "../shared/types.ts";
import { Avatar, FieldError, Person } from "./components.tsx";
import { ConfirmDialog } from "./confirm_dialog.tsx";
import { codePoints } from "./send_failure.ts";
import {
  DAY_MS,
  HOUR_MS,
  LONG_MUTE_MS,
  mayEdit,
  rightsOver,
  UNTIL_UNMUTED_MS,
} from "./group_admin_state.ts";
import { errorText, IMAGE_TYPES, type Session } from "./session.ts";
import type { State } from "./state.ts";
import { untilText } from "./system_text.ts";
import { when } from "./components.tsx";

/** The longest group name and notice the server takes. */
const NAME_MAX = 64;
export const NOTICE_MAX = 1000;

/** What each join policy means, as the settings say it. */
export const POLICIES: Record<JoinPolicy, string> = {
  open: "Anyone can join",
  approval: "Anyone can ask; the owner or an admin accepts",
  invite: "Only members can add people",
};

/** What each history setting means for new members. */
export const HISTORIES: Record<GroupHistory, string> = {
  since_join: "From when they join",
  all: "The whole history",
};

/** The group's settings: a form for the owner and admins, a summary for members. */
export function GroupSettings({ state, group, session }: {
  state: State;
  group: Group;
  session: Session;
}) {
  if (mayEdit(group, state.members, state.me.id)) {
    return <SettingsForm key={group.id} group={group} session={session} />;
  }
  return (
    <section class="group-settings read-only" aria-labelledby="group-settings-title">
      <h3 id="group-settings-title">Group settings</h3>
      <dl class="settings-list">
        <dt>Notice</dt>
        <dd class="group-notice-text">{group.notice || "No notice."}</dd>
        <dt>Who can join</dt>
        <dd>{POLICIES[group.joinPolicy]}</dd>
        <dt>New members read</dt>
        <dd>{HISTORIES[group.history]}</dd>
        <dt>Who can send</dt>
        <dd>{group.muted ? "Only the owner and admins" : "Every member"}</dd>
      </dl>
      <p class="muted">Only the owner and admins can change these.</p>
    </section>
  );
}

/** The owner's and admins' form; Save sends only what changed. */
function SettingsForm({ group, session }: { group: Group; session: Session }) {
  const [error, setError] = useState("");
  const [saved, setSaved] = useState("");
  const [notice, setNotice] = useState(group.notice);
  const save = async (form: HTMLFormElement) => {
    setError("");
    setSaved("");
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const file = data.get("avatar");
    const patch: Parameters<Session["groups"]["update"]>[1] = {};
    if (name && name !== group.name) patch.name = name;
    if (notice !== group.notice) patch.notice = notice;
    const joinPolicy = String(data.get("joinPolicy")) as JoinPolicy;
    if (joinPolicy !== group.joinPolicy) patch.joinPolicy = joinPolicy;
    const history = String(data.get("history")) as GroupHistory;
    if (history !== group.history) patch.history = history;
    const muted = data.get("muted") === "on";
    if (muted !== group.muted) patch.muted = muted;
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
      await session.groups.update(group.id, patch);
      // The picture is saved: the file chooser starts empty again (the other fields show it).
      const picker = form.elements.namedItem("avatar");
      if (picker instanceof HTMLInputElement) picker.value = "";
      setSaved("Saved");
    } catch (error) {
      setError(errorText(error));
    }
  };
  const length = codePoints(notice);
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
      <label for="group-notice">Notice (members see it at the top of the chat)</label>
      <textarea
        id="group-notice"
        name="notice"
        rows={3}
        value={notice}
        aria-describedby="group-notice-count"
        onInput={(e) => setNotice(e.currentTarget.value)}
      />
      <span
        id="group-notice-count"
        class={length > NOTICE_MAX ? "field-error" : "muted"}
      >
        {`${length} / ${NOTICE_MAX}`}
      </span>
      <label for="group-policy">Who can join</label>
      <select id="group-policy" name="joinPolicy" defaultValue={group.joinPolicy}>
        {Object.entries(POLICIES).map(([value, text]) => (
          <option key={value} value={value}>{text}</option>
        ))}
      </select>
      <label for="group-history">New members read</label>
      <select id="group-history" name="history" defaultValue={group.history}>
        {Object.entries(HISTORIES).map(([value, text]) => (
          <option key={value} value={value}>{text}</option>
        ))}
      </select>
      <label class="pick">
        <input type="checkbox" name="muted" defaultChecked={group.muted} />
        Mute all: only the owner and admins can send
      </label>
      <FieldError>{error}</FieldError>
      <button type="submit" disabled={length > NOTICE_MAX}>Save group</button>
      <span class="muted" role="status">{saved}</span>
    </form>
  );
}

/** The pending join requests, for the owner and admins; new ones come live. */
export function JoinRequests({ state, group, session }: {
  state: State;
  group: Group;
  session: Session;
}) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState("");
  const may = mayEdit(group, state.members, state.me.id);
  useEffect(() => {
    if (may) session.groups.loadRequests(group.id).catch((e) => setError(errorText(e)));
  }, [group.id, may]);
  const requests = state.joinRequests.get(group.id) ?? [];
  // An empty list says something only where people ask to join.
  if (!may || (requests.length === 0 && group.joinPolicy !== "approval")) return null;
  const decide = async (requestId: string, accept: boolean) => {
    setBusy(requestId);
    setError("");
    try {
      if (accept) await session.groups.accept(group.id, requestId);
      else await session.groups.reject(group.id, requestId);
    } catch (e) {
      setError(errorText(e));
      // Decided elsewhere meanwhile: the server's list is the truth.
      await session.groups.loadRequests(group.id).catch(() => {});
    } finally {
      setBusy("");
    }
  };
  return (
    <section class="join-requests" aria-labelledby="join-requests-title">
      <h3 id="join-requests-title">{`Join requests (${requests.length})`}</h3>
      {requests.length === 0
        ? <p class="muted">No one is waiting to join.</p>
        : (
          <ul class="requests" id="join-requests">
            {requests.map((r) => (
              <li key={r.id} class="person" data-request={r.user.id}>
                <Avatar who={r.user} />
                <Person user={r.user} line={`Asked ${when(r.createdAt)}`} />
                <span class="row">
                  <button
                    type="button"
                    disabled={busy === r.id}
                    aria-label={`Accept ${r.user.nickname} (@${r.user.username})`}
                    onClick={() => void decide(r.id, true)}
                  >
                    Accept
                  </button>
                  <button
                    type="button"
                    class="ghost"
                    disabled={busy === r.id}
                    aria-label={`Reject ${r.user.nickname} (@${r.user.username})`}
                    onClick={() => void decide(r.id, false)}
                  >
                    Reject
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
      <FieldError>{error}</FieldError>
    </section>
  );
}

/** A member's role and mute, as badges beside their name. */
export function MemberBadges({ member, now }: { member: GroupMember; now: number }) {
  const muted = member.mutedUntil !== null && member.mutedUntil > now;
  return (
    <>
      {member.role === "owner" && <span class="role-badge owner">Owner</span>}
      {member.role === "admin" && <span class="role-badge admin">Admin</span>}
      {muted && (
        <span class="role-badge muted-badge">
          {member.mutedUntil! - now > LONG_MUTE_MS
            ? "Muted"
            : `Muted until ${untilText(member.mutedUntil!, now)}`}
        </span>
      )}
    </>
  );
}

/** What a confirmation dialog asks before an action on a member. */
interface Asking {
  title: string;
  text: string;
  action: string;
  run: () => Promise<void>;
}

/**
 * The "More" button of a member and the actions it opens: their profile (block from there),
 * and whatever the user may do to them.
 */
export function MemberActions({ member, group, state, session }: {
  member: GroupMember;
  group: Group;
  state: State;
  session: Session;
}) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState("");
  const [asking, setAsking] = useState<Asking | null>(null);
  const { user } = member;
  if (user.id === state.me.id) return null;
  const rights = rightsOver(group, state.members, state.me.id, user.id);
  const muted = member.mutedUntil !== null && member.mutedUntil > Date.now();
  const run = (action: () => Promise<void>) => async () => {
    setError("");
    try {
      await action();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const mute = (ms: number | null) =>
    run(() => session.groups.mute(group.id, user.id, ms === null ? null : Date.now() + ms));
  const who = `${user.nickname} (@${user.username})`;
  const panel = `member-actions-${user.id}`;
  return (
    <>
      <button
        type="button"
        class="ghost more"
        aria-expanded={open}
        aria-controls={panel}
        aria-label={`More for ${who}`}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <div class="member-actions" id={panel} role="group" aria-label={`Actions for ${who}`}>
          <button
            type="button"
            class="secondary"
            onClick={() =>
              session.dispatch({ type: "person", user })}
          >
            Profile
          </button>
          {rights.role && (member.role === "admin"
            ? (
              <button
                type="button"
                class="secondary"
                onClick={run(() => session.groups.setRole(group.id, user.id, "member"))}
              >
                Remove admin
              </button>
            )
            : (
              <button
                type="button"
                class="secondary"
                onClick={run(() => session.groups.setRole(group.id, user.id, "admin"))}
              >
                Make admin
              </button>
            ))}
          {rights.mute && (
            <>
              <button type="button" class="secondary" onClick={mute(HOUR_MS)}>Mute 1 hour</button>
              <button type="button" class="secondary" onClick={mute(DAY_MS)}>Mute 1 day</button>
              <button type="button" class="secondary" onClick={mute(UNTIL_UNMUTED_MS)}>
                Mute until unmuted
              </button>
              {muted && (
                <button type="button" class="secondary" onClick={mute(null)}>Unmute</button>
              )}
            </>
          )}
          {rights.transfer && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                setAsking({
                  title: `Make ${user.nickname} the owner?`,
                  text:
                    `${who} will own “${group.name}”: they can then remove you, disband the group and choose its admins. You become an admin.`,
                  action: "Make owner",
                  run: () => session.groups.transfer(group.id, user.id),
                })}
            >
              Make owner
            </button>
          )}
          {rights.remove && (
            <button
              type="button"
              class="destructive secondary"
              onClick={() =>
                setAsking({
                  title: `Remove ${user.nickname} from the group?`,
                  text:
                    `${who} will no longer read or send messages in “${group.name}”. They can be added again later.`,
                  action: "Remove",
                  run: () => session.groups.remove(group.id, user.id),
                })}
            >
              Remove from group
            </button>
          )}
          <FieldError>{error}</FieldError>
        </div>
      )}
      {asking && (
        <ConfirmDialog
          id="member-confirm"
          title={asking.title}
          action={asking.action}
          onClose={() => setAsking(null)}
          onConfirm={asking.run}
        >
          {asking.text}
        </ConfirmDialog>
      )}
    </>
  );
}

/** Leave the group, and for its owner disband it: each asks in a dialog first. */
export function LeaveOrDisband({ state, group, session }: {
  state: State;
  group: Group;
  session: Session;
}) {
  const [asking, setAsking] = useState<"leave" | "disband" | null>(null);
  const owner = group.ownerId === state.me.id;
  return (
    <div class="group-exit">
      <button type="button" class="secondary" onClick={() => setAsking("leave")}>
        Leave group
      </button>
      {owner && (
        <button type="button" class="danger" onClick={() => setAsking("disband")}>
          Disband group
        </button>
      )}
      {asking && (
        <LeaveDialog
          group={group}
          owner={owner}
          disband={asking === "disband"}
          session={session}
          onClose={() => setAsking(null)}
        />
      )}
    </div>
  );
}

/** Asks before leaving or disbanding; the chat closes once done. */
export function LeaveDialog({ group, owner, disband, session, onClose }: {
  group: Group;
  owner: boolean;
  disband: boolean;
  session: Session;
  onClose: () => void;
}) {
  if (disband) {
    return (
      <ConfirmDialog
        id="disband"
        title={`Disband “${group.name}”?`}
        action="Disband"
        onClose={onClose}
        onConfirm={() => session.groups.disband(group.id)}
      >
        The group ends for all its members: nobody can read or send its messages any more. This
        cannot be undone.
      </ConfirmDialog>
    );
  }
  return (
    <ConfirmDialog
      id="leave"
      title={`Leave “${group.name}”?`}
      action="Leave"
      onClose={onClose}
      onConfirm={() => session.groups.leave(group.id)}
    >
      {owner
        ? "You will no longer read or send its messages. You own it: an admin (else the longest-standing member) becomes its owner."
        : "You will no longer read or send its messages. To come back, join again or be added."}
    </ConfirmDialog>
  );
}
