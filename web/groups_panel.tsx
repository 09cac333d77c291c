/**
 * The Groups tab: making a group, finding and joining groups (asking to join one under
 * approval: "Request sent" until an owner or admin accepts), and the user's groups.
 */
import { useState } from "preact/hooks";
import type { Group } from "../shared/types.ts";
import { Avatar, FieldError, Names } from "./components.tsx";
import { SearchForm } from "./search_form.tsx";
import { errorText, type Session } from "./session.ts";
import type { State } from "./state.ts";

/** What the search results say of a group's join policy (an old server sends none). */
const POLICY_NOTE: Record<string, string> = {
  open: "",
  approval: ", joining needs approval",
  invite: ", invite only",
};

/** Create, search, and the list of groups. */
export function GroupsPanel({ state, session }: { state: State; session: Session }) {
  const [joinError, setJoinError] = useState("");
  const found = state.foundGroups;
  const mine = [...state.groups.values()].sort((a, b) => a.group.name.localeCompare(b.group.name));
  const join = async (g: Group) => {
    setJoinError("");
    try {
      await session.groups.join(g);
    } catch (error) {
      setJoinError(errorText(error));
    }
  };
  return (
    <>
      <CreateGroup state={state} session={session} />
      <SearchForm
        id="group-search"
        label="Find groups"
        placeholder="Group name"
        text={state.searched.groups}
        onText={(text) => session.dispatch({ type: "search_text", kind: "groups", text })}
        onSearch={async (query) => {
          const groups = await session.client.searchGroups(query);
          session.dispatch({ type: "found_groups", query, groups });
        }}
        failed={joinError}
      />
      <ul class="results" aria-live="polite">
        {found?.length === 0 && <li class="empty">No group found.</li>}
        {found?.map((g) => (
          <li key={g.id} class="person">
            <Avatar who={{ name: g.name, avatar: g.avatar }} />
            <Names
              name={g.name}
              line={`${g.memberCount} members${POLICY_NOTE[g.joinPolicy] ?? ""}`}
            />
            {state.groups.has(g.id)
              ? <button type="button" onClick={() => session.openWithGroup(g)}>Open</button>
              : g.joinPolicy === "invite"
              ? <span class="muted">Members add people</span>
              : state.joinAsked.has(g.id)
              ? <span class="muted" role="status" data-asked={g.name}>Request sent</span>
              : (
                <button type="button" data-join={g.name} onClick={() => join(g)}>
                  {g.joinPolicy === "approval" ? "Ask to join" : "Join"}
                </button>
              )}
          </li>
        ))}
      </ul>
      <h2>{`My groups (${mine.length})`}</h2>
      {mine.length === 0 ? <p class="empty">You are in no group yet.</p> : (
        <ul class="friends">
          {mine.map(({ group, onlineCount }) => (
            <li key={group.id}>
              <button
                type="button"
                class="person"
                data-group={group.name}
                onClick={() => session.openWithGroup(group)}
              >
                <Avatar who={{ name: group.name, avatar: group.avatar }} />
                <Names
                  name={group.name}
                  line={`${group.memberCount} members, ${onlineCount} online`}
                />
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function CreateGroup({ state, session }: { state: State; session: Session }) {
  const [error, setError] = useState("");
  const friends = [...state.friends.values()];
  return (
    <form
      class="create-group"
      onSubmit={async (e) => {
        e.preventDefault();
        setError("");
        const form = new FormData(e.currentTarget);
        const ids = form.getAll("member").map(String);
        try {
          const group = await session.client.createGroup(String(form.get("name") ?? ""), ids);
          await session.loadGroups();
          session.openWithGroup(group);
        } catch (error) {
          setError(errorText(error));
        }
      }}
    >
      <h2>New group</h2>
      <label for="group-name">Group name</label>
      <input id="group-name" name="name" required maxlength={64} />
      <FieldError id="group-name-error">{error}</FieldError>
      {friends.length > 0 && (
        <fieldset>
          <legend>Members from your friends</legend>
          {friends.map(({ user }) => (
            <label key={user.id} class="pick">
              <input type="checkbox" value={user.id} name="member" />
              {user.nickname} <span class="handle">{`@${user.username}`}</span>
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit">Create group</button>
    </form>
  );
}
