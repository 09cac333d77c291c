/**
 * Helpers of the group administration suites (PROTOCOL.md, Version 2, Groups): the new routes
 * called through the SDK's `request()` (so every suite speaks the wire format the protocol names,
 * whatever the SDK's own method names), raw answers as `[status, code]`, the frames a client was
 * pushed, and the replay of a group's system messages into the membership they describe.
 */
import type { ImClient, ImHttp } from "../client/mod.ts";
import type {
  Content,
  Group,
  GroupMember,
  JoinRequest,
  Message,
  ServerFrame,
} from "../shared/types.ts";

/** The content of a system message. */
export type SystemContent = Extract<Content, { type: "system" }>;

/** A system message of a history, flattened for comparisons. */
export interface SystemLine {
  seq: number;
  event: SystemContent["event"];
  userId?: string;
  by: string;
  value?: string;
}

/** The group routes of version 2, called as `client` with the protocol's bodies. */
export function groupApi(client: ImClient) {
  const g = (id: string) => `/api/groups/${id}`;
  return {
    patch: async (id: string, body: Record<string, unknown>) =>
      (await client.request<{ group: Group }>("PATCH", g(id), body)).group,
    member: async (id: string, userId: string, body: Record<string, unknown>) =>
      (await client.request<{ member: GroupMember }>("PATCH", `${g(id)}/members/${userId}`, body))
        .member,
    role: async (id: string, userId: string, role: "admin" | "member") =>
      (await client.request<{ member: GroupMember }>("PATCH", `${g(id)}/members/${userId}`, {
        role,
      })).member,
    mute: async (id: string, userId: string, mutedUntil: number | null) =>
      (await client.request<{ member: GroupMember }>("PATCH", `${g(id)}/members/${userId}`, {
        mutedUntil,
      })).member,
    remove: (id: string, userId: string) =>
      client.request<void>("DELETE", `${g(id)}/members/${userId}`),
    transfer: async (id: string, userId: string) =>
      (await client.request<{ group: Group }>("POST", `${g(id)}/transfer`, { userId })).group,
    disband: (id: string) => client.request<void>("DELETE", g(id)),
    /** `open`: `{group}` (200); `approval`: `{request}` (202). */
    join: (id: string) =>
      client.request<{ group?: Group; request?: JoinRequest }>("POST", `${g(id)}/join`),
    requests: async (id: string) =>
      (await client.request<{ requests: JoinRequest[] }>("GET", `${g(id)}/requests`)).requests,
    accept: async (id: string, requestId: string) =>
      (await client.request<{ group: Group }>("POST", `${g(id)}/requests/${requestId}/accept`))
        .group,
    reject: (id: string, requestId: string) =>
      client.request<void>("POST", `${g(id)}/requests/${requestId}/reject`),
  };
}

/** `[status, error code]` of a raw call by the holder of `token` (the code null on success). */
export async function answer(
  url: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<[number, string | null]> {
  const [status, json] = await rawCall(url, token, method, path, body);
  return [
    status,
    status < 400 ? null : (json as { error?: { code?: string } })?.error?.code ?? "?",
  ];
}

/** Status and parsed JSON body (null when empty) of a raw call. */
export async function rawCall(
  url: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<[number, unknown]> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return [response.status, text ? JSON.parse(text) : null];
}

/** Every frame the server pushes to `client` from now on, as received (before the SDK's dedupe). */
export function frames(client: ImClient): ServerFrame[] {
  const list: ServerFrame[] = [];
  client.on("frame", (frame) => list.push(frame));
  return list;
}

/** Frames of one op out of a recorded list. */
export function ofOp<K extends ServerFrame["op"]>(
  list: readonly ServerFrame[],
  op: K,
): Extract<ServerFrame, { op: K }>[] {
  return list.filter((f): f is Extract<ServerFrame, { op: K }> => f.op === op);
}

/** The messages of one conversation pushed in a recorded list, each seq once, in seq order. */
export function pushedIn(list: readonly ServerFrame[], conversationId: string): Message[] {
  const bySeq = new Map<number, Message>();
  for (const f of ofOp(list, "message")) {
    if (f.message.conversationId === conversationId) bySeq.set(f.message.seq, f.message);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The system messages of a list of messages, flattened. */
export function systemLines(messages: readonly Message[]): SystemLine[] {
  return messages.flatMap((m) => {
    if (m.content.type !== "system") return [];
    const { event, userId, by, value } = m.content;
    return [{
      seq: m.seq,
      event,
      ...(userId === undefined ? {} : { userId }),
      by,
      ...(value === undefined ? {} : { value }),
    }];
  });
}

/** A system line without its seq, for comparing what happened rather than where. */
export function line(
  event: SystemContent["event"],
  by: string,
  userId?: string,
  value?: string,
): Omit<SystemLine, "seq"> {
  return {
    event,
    ...(userId === undefined ? {} : { userId }),
    by,
    ...(value === undefined ? {} : { value }),
  };
}

/** Every stored entry of a conversation the reader may read, in seq order (all pages). */
export async function everything(client: ImHttp, conversationId: string): Promise<Message[]> {
  const all: Message[] = [];
  while (true) {
    const page = await client.history(conversationId, {
      after: all.length ? all[all.length - 1].seq : 0,
      limit: 200,
    });
    all.push(...page);
    if (page.length < 200) return all;
  }
}

/** A member as the replay of system messages knows it. */
export interface Replayed {
  role: "owner" | "admin" | "member";
  mutedUntil: number | null;
}

/**
 * The membership a group's system messages describe, replayed from its first seq (`created`),
 * for a group created without members (the `created` line names the owner only; members added
 * later each have their `joined` line):
 * who is a member, with which role and mute. Lines that cannot apply (a `joined` of a member, a
 * `removed` of a non-member, a role of the owner) are returned as `errors`: a history that
 * disagrees with itself.
 */
export function replay(lines: readonly SystemLine[]): {
  members: Map<string, Replayed>;
  groupMuted: boolean;
  errors: string[];
} {
  const members = new Map<string, Replayed>();
  const errors: string[] = [];
  let groupMuted = false;
  const at = (l: SystemLine, what: string) => errors.push(`seq ${l.seq} (${l.event}): ${what}`);
  for (const l of lines) {
    const target = l.userId === undefined ? undefined : members.get(l.userId);
    switch (l.event) {
      case "created":
        if (members.size > 0) at(l, "a second `created`");
        members.set(l.by, { role: "owner", mutedUntil: null });
        break;
      case "joined":
        if (!l.userId) at(l, "no userId");
        else if (target) at(l, `${l.userId} joined while a member`);
        else members.set(l.userId, { role: "member", mutedUntil: null });
        break;
      case "left":
      case "removed":
        if (!l.userId || !target) at(l, `${l.userId} is not a member`);
        else members.delete(l.userId);
        break;
      case "role":
        if (!target) at(l, `${l.userId} is not a member`);
        else if (target.role === "owner") at(l, "a role of the owner");
        else if (l.value !== "admin" && l.value !== "member") at(l, `role ${l.value}`);
        else target.role = l.value;
        break;
      case "muted":
        if (l.userId === undefined) {
          if (l.value !== "on" && l.value !== "off") at(l, `group mute ${l.value}`);
          groupMuted = l.value === "on";
        } else if (!target) at(l, `${l.userId} is not a member`);
        else target.mutedUntil = l.value === undefined ? null : Number(l.value);
        break;
      case "transferred": {
        if (!target) {
          at(l, `${l.userId} is not a member`);
          break;
        }
        for (const m of members.values()) if (m.role === "owner") m.role = "admin";
        target.role = "owner";
        break;
      }
      default:
        // renamed, notice, policy: no change of membership.
        break;
    }
  }
  // An owner who left hands over in a `transferred` after the `left`: nobody else may own it.
  return { members, groupMuted, errors };
}

/** A group's members as `GET /api/groups/<id>` lists them, in the replay's shape. */
export function asReplayed(members: readonly GroupMember[]): Map<string, Replayed> {
  return new Map(
    members.map((m) => [m.user.id, { role: m.role, mutedUntil: m.mutedUntil }] as const),
  );
}

/** A map's entries sorted by key, for comparisons that must not depend on order. */
export function sorted<V>(map: Map<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
