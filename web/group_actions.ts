/**
 * What a signed-in session does to run groups and blocks (issue 16): settings, roles, mutes,
 * removal, transfer, disband, leave, joining (open or by request), join requests, and
 * blocking. Each action calls the server and puts its answer in the state at once; the live
 * events (`group_removed`, `group_join_request`, `group_join_request_closed`, system messages
 * of the open group) keep the state current between actions. A refusal is thrown for the
 * screen to say in plain words.
 */
import type { GroupPatch, ImClient, MemberPatch } from "../client/mod.ts";
import type { Group, User } from "../shared/types.ts";
import type { Event, State } from "./state.ts";

/** What the actions need of the session. */
export interface GroupActionsHost {
  client: ImClient;
  state(): State;
  dispatch(event: Event): void;
  /** Reloads the user's groups (and the open group's members). */
  loadGroups(): Promise<void>;
  /** Reloads the open group's members. */
  loadMembers(): Promise<void>;
  openWithGroup(group: Group): void;
}

/** Group administration and blocks of one session. */
export class GroupActions {
  readonly #host: GroupActionsHost;
  /** Groups this page is leaving or disbanding: their `group_removed` needs no notice here. */
  readonly #quiet = new Set<string>();

  constructor(host: GroupActionsHost) {
    this.#host = host;
  }

  /** Subscribes to the live events; returns the unsubscribe functions. */
  watch(): (() => void)[] {
    const { client } = this.#host;
    return [
      client.on("group_removed", ({ groupId, reason }) => {
        this.#host.dispatch({
          type: "group_removed",
          groupId,
          reason,
          ...(this.#quiet.has(groupId) ? { quiet: true } : {}),
        });
      }),
      client.on("group_join_request", (request) => {
        this.#host.dispatch({ type: "join_request", request });
      }),
      client.on("group_join_request_closed", ({ groupId, requestId }) => {
        this.#host.dispatch({ type: "join_request_closed", groupId, requestId });
      }),
      // Back after a lost connection: requests that came or went meanwhile had no event here.
      client.on("state", (state) => {
        if (state !== "open") return;
        for (const groupId of this.#host.state().joinRequests.keys()) {
          this.loadRequests(groupId).catch(() => {}); // No longer an admin there: kept as was.
        }
      }),
      // A change of the open group (a role, a mute, someone joining or going): its members again.
      client.on("message", (m) => {
        if (m.content.type === "system" && m.conversationId === this.#host.state().active) {
          void this.#host.loadMembers();
        }
      }),
    ];
  }

  /** Saves settings of a group (owner or admin). */
  async update(groupId: string, patch: GroupPatch): Promise<void> {
    const group = await this.#host.client.updateGroup(groupId, patch);
    this.#host.dispatch({ type: "group_update", group });
  }

  /** Makes a member an admin or a plain member (the owner). */
  async setRole(groupId: string, userId: string, role: "admin" | "member"): Promise<void> {
    await this.#member(groupId, userId, { role });
  }

  /** Mutes a member until `until` (ms), or unmutes them (null). */
  async mute(groupId: string, userId: string, until: number | null): Promise<void> {
    await this.#member(groupId, userId, { mutedUntil: until });
  }

  async #member(groupId: string, userId: string, patch: MemberPatch): Promise<void> {
    const member = await this.#host.client.updateGroupMember(groupId, userId, patch);
    this.#host.dispatch({ type: "member", groupId, member });
  }

  /** Removes a member from the group. */
  async remove(groupId: string, userId: string): Promise<void> {
    await this.#host.client.removeGroupMember(groupId, userId);
    await this.#host.loadMembers();
  }

  /** Hands the group to another member; this user becomes an admin. */
  async transfer(groupId: string, userId: string): Promise<void> {
    const group = await this.#host.client.transferGroup(groupId, userId);
    this.#host.dispatch({ type: "group_update", group });
    await this.#host.loadMembers();
  }

  /** Disbands the group (its owner): it closes here at once, without a notice. */
  async disband(groupId: string): Promise<void> {
    await this.#quietly(groupId, () => this.#host.client.disbandGroup(groupId));
  }

  /** Leaves the group: it closes here at once, without a notice. */
  async leave(groupId: string): Promise<void> {
    await this.#quietly(groupId, () => this.#host.client.leaveGroup(groupId));
  }

  async #quietly(groupId: string, action: () => Promise<void>): Promise<void> {
    this.#quiet.add(groupId);
    try {
      await action();
    } catch (error) {
      this.#quiet.delete(groupId);
      throw error;
    }
    this.#host.dispatch({ type: "group_removed", groupId, reason: "left", quiet: true });
    await this.#host.loadGroups();
  }

  /**
   * Joins a group: an open one opens at once; under approval the request waits for an owner
   * or admin ("Request sent"), and the group comes with its `group_update` once accepted.
   */
  async join(group: Group): Promise<"joined" | "requested"> {
    const answer = await this.#host.client.joinGroup(group.id);
    if (answer.request) {
      this.#host.dispatch({ type: "join_asked", groupId: group.id });
      return "requested";
    }
    await this.#host.loadGroups();
    this.#host.openWithGroup(answer.group);
    return "joined";
  }

  /** The pending join requests of a group (its owner and admins). */
  async loadRequests(groupId: string): Promise<void> {
    const requests = await this.#host.client.joinRequests(groupId);
    this.#host.dispatch({ type: "join_requests", groupId, requests });
  }

  /** Accepts a join request: the requester becomes a member. */
  async accept(groupId: string, requestId: string): Promise<void> {
    const group = await this.#host.client.acceptJoinRequest(groupId, requestId);
    this.#host.dispatch({ type: "join_request_closed", groupId, requestId });
    this.#host.dispatch({ type: "group_update", group });
    await this.#host.loadMembers();
  }

  /** Rejects a join request. */
  async reject(groupId: string, requestId: string): Promise<void> {
    await this.#host.client.rejectJoinRequest(groupId, requestId);
    this.#host.dispatch({ type: "join_request_closed", groupId, requestId });
  }

  /** The users this user blocked. */
  async loadBlocks(): Promise<void> {
    this.#host.dispatch({ type: "blocked", users: await this.#host.client.blocks() });
  }

  /** Blocks a user (they are not told); the blocked list follows. */
  async block(user: User): Promise<void> {
    await this.#host.client.block(user.id);
    await this.loadBlocks();
  }

  /** Unblocks a user; the blocked list follows. */
  async unblock(user: User): Promise<void> {
    await this.#host.client.unblock(user.id);
    await this.loadBlocks();
  }
}
