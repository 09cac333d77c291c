/**
 * End-to-end: group administration, version 2 (PROTOCOL.md, "Version 2 additions", Groups, and
 * the precise rules): roles, transfer, disband, removal, leaving, muting a member and the whole
 * group, join policies and join requests with their live events, the notice, the history setting,
 * and the system messages every change leaves in the group's conversation (with a seq, in order,
 * never unread; a member removed at seq N receives nothing after N, one added at N receives N and
 * everything after). Then the bad input and races of issue 16, and many clients changing one group
 * at once. Runs unchanged against a cluster, so every read of a change the log carries waits for
 * it ("eventually"), never for a fixed time.
 */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import type { GroupMember, JoinRequest, Message, Target } from "../shared/types.ts";
import {
  befriend,
  errorCode,
  eventually,
  newUser,
  PNG_2x3,
  roundTrip,
  secondDevice,
  startServer,
  uniqueName,
  waitFor,
} from "./harness.ts";
import {
  answer,
  asReplayed,
  everything,
  frames,
  groupApi,
  line,
  ofOp,
  pushedIn,
  rawCall,
  replay,
  sleep,
  sorted,
  type SystemLine,
  systemLines,
} from "./_groups.ts";

/** A small size limit, so a full group is cheap to make. */
const GROUP_MAX = 10;
const server = await startServer({ env: { IM_MAX_GROUP_SIZE: String(GROUP_MAX) } });
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };
const MUTE_MAX_MS = 366 * 24 * 3600 * 1000;

const text = (t: string) => ({ type: "text" as const, text: t });
const idOf = (c: ImClient) => c.self!.id;
const members = (path: string, userId: string) => `${path}/members/${userId}`;

/** `n` new connected users. */
function users(n: number): Promise<ImClient[]> {
  return Promise.all(Array.from({ length: n }, () => newUser(url)));
}

/** A group owned by `owner`: `joiners` join it (open policy), then `admins` of them are promoted. */
async function club(owner: ImClient, joiners: ImClient[], admins: ImClient[] = []) {
  const group = await owner.createGroup(uniqueName("club"));
  for (const joiner of joiners) await joiner.joinGroup(group.id);
  for (const admin of admins) await groupApi(owner).role(group.id, idOf(admin), "admin");
  return {
    group,
    id: group.id,
    path: `/api/groups/${group.id}`,
    conversationId: `g:${group.id}`,
    to: { type: "group" as const, id: group.id } satisfies Target,
  };
}

/** The roles of a group's members as `reader` gets them, by user id. */
async function roles(reader: ImClient, groupId: string): Promise<Record<string, string>> {
  const { members } = await reader.group(groupId);
  return Object.fromEntries(members.map((m) => [m.user.id, m.role]));
}

/** Waits until `reader`'s history of the group holds `count` system lines; returns them all. */
async function linesOf(reader: ImClient, conversationId: string, count: number) {
  return await eventually(async () => {
    const lines = systemLines(await everything(reader, conversationId));
    return lines.length >= count ? lines : null;
  }, 10_000);
}

/** The lines without their seqs. */
const events = (lines: readonly SystemLine[]) => lines.map(({ seq: _, ...rest }) => rest);

/** Closes clients at the end of a test. */
async function closeAll(clients: ImClient[]) {
  await Promise.all(clients.map((c) => c.close()));
}

// ---------------------------------------------------------------------------------------------
// Roles, transfer, disband

Deno.test(
  "roles: the owner makes and unmakes admins (200 {member}, a `role` line each); nobody else may; the owner's own role is invalid_argument",
  opts,
  async () => {
    const [o, a, m] = await users(3);
    const stranger = await newUser(url);
    try {
      const { id, path, conversationId, to } = await club(o, [a, m]);
      const seen = frames(m);
      const member = await groupApi(o).role(id, idOf(a), "admin");
      assertEquals([member.user.id, member.role, member.mutedUntil], [idOf(a), "admin", null]);
      assertEquals(await roles(m, id), {
        [idOf(o)]: "owner",
        [idOf(a)]: "admin",
        [idOf(m)]: "member",
      });
      // The change is a message of the conversation, pushed live like any other.
      const pushed = await eventually(() =>
        pushedIn(seen, conversationId).find((x) =>
          x.content.type === "system" && x.content.event === "role"
        )
      );
      assertEquals(pushed.content, {
        type: "system",
        event: "role",
        userId: idOf(a),
        by: idOf(o),
        value: "admin",
      });
      assertEquals(
        [pushed.from, pushed.to, pushed.clientMsgId, pushed.conversationId],
        [idOf(o), to, null, conversationId],
      );

      const refusals: [ImClient, string, unknown, [number, string]][] = [
        [m, idOf(a), { role: "member" }, [403, "forbidden"]],
        [a, idOf(m), { role: "admin" }, [403, "forbidden"]],
        [a, idOf(a), { role: "member" }, [403, "forbidden"]],
        [a, idOf(o), { role: "member" }, [403, "forbidden"]],
        [o, idOf(o), { role: "member" }, [400, "invalid_argument"]],
        [o, idOf(o), { role: "admin" }, [400, "invalid_argument"]],
        [o, idOf(m), {}, [400, "invalid_argument"]],
        [o, idOf(m), { role: "owner" }, [400, "invalid_argument"]],
        [o, idOf(m), { role: "boss" }, [400, "invalid_argument"]],
        [o, idOf(m), { role: 1 }, [400, "invalid_argument"]],
        [o, idOf(m), { role: "admin", colour: "red" }, [400, "invalid_argument"]],
        [o, idOf(stranger), { role: "admin" }, [404, "not_found"]],
      ];
      for (const [who, target, body, expected] of refusals) {
        assertEquals(
          await answer(url, who.token, "PATCH", members(path, target), body),
          expected,
          `${JSON.stringify(body)} on ${target === idOf(o) ? "the owner" : target}`,
        );
      }
      assertEquals(
        await answer(url, o.token, "PATCH", members("/api/groups/987654321987", idOf(m)), {
          role: "admin",
        }),
        [404, "not_found"],
      );
      assertEquals(
        await answer(url, stranger.token, "PATCH", members(path, idOf(m)), { role: "admin" }),
        [
          403,
          "forbidden",
        ],
      );
      assertEquals((await groupApi(o).role(id, idOf(a), "member")).role, "member");
      assertEquals(await roles(a, id), {
        [idOf(o)]: "owner",
        [idOf(a)]: "member",
        [idOf(m)]: "member",
      });
      // Every refusal changed nothing: the history holds exactly the two changes.
      assertEquals(events(await linesOf(o, conversationId, 5)), [
        line("created", idOf(o)),
        line("joined", idOf(a), idOf(a)),
        line("joined", idOf(m), idOf(m)),
        line("role", idOf(o), idOf(a), "admin"),
        line("role", idOf(o), idOf(a), "member"),
      ]);
    } finally {
      await closeAll([o, a, m]);
    }
  },
);

Deno.test(
  "transfer: the owner hands the group to a member and becomes an admin; to themselves invalid_argument, to a non-member not_found, by anyone else forbidden",
  opts,
  async () => {
    const [o, a, m] = await users(3);
    const outsider = await newUser(url);
    try {
      const { id, path, conversationId } = await club(o, [a, m], [a]);
      const post = (c: ImClient, body: unknown) =>
        answer(url, c.token, "POST", `${path}/transfer`, body);
      assertEquals(await post(o, { userId: idOf(o) }), [400, "invalid_argument"]);
      assertEquals(await post(o, { userId: idOf(outsider) }), [404, "not_found"]);
      assertEquals(await post(o, {}), [400, "invalid_argument"]);
      assertEquals(await post(o, { userId: 12 }), [400, "invalid_argument"]);
      assertEquals(await post(a, { userId: idOf(m) }), [403, "forbidden"]);
      assertEquals(await post(m, { userId: idOf(m) }), [403, "forbidden"]);
      assertEquals(await post(outsider, { userId: idOf(outsider) }), [403, "forbidden"]);
      assertEquals(await roles(o, id), {
        [idOf(o)]: "owner",
        [idOf(a)]: "admin",
        [idOf(m)]: "member",
      });

      const updates = waitFor(a, "group_update", (g) => g.id === id && g.ownerId === idOf(m));
      const group = await groupApi(o).transfer(id, idOf(m));
      assertEquals([group.id, group.ownerId], [id, idOf(m)]);
      await updates;
      assertEquals(await roles(a, id), {
        [idOf(o)]: "admin",
        [idOf(a)]: "admin",
        [idOf(m)]: "owner",
      });
      // The old owner is an admin now: no longer allowed to transfer, the new owner is.
      assertEquals(await post(o, { userId: idOf(a) }), [403, "forbidden"]);
      assertEquals((await groupApi(m).transfer(id, idOf(o))).ownerId, idOf(o));
      assertEquals(events((await linesOf(o, conversationId, 6)).slice(-2)), [
        line("transferred", idOf(o), idOf(m)),
        line("transferred", idOf(m), idOf(o)),
      ]);
      assertEquals((await m.group(id)).members.find((x) => x.user.id === idOf(m))?.role, "admin");
    } finally {
      await closeAll([o, a, m]);
    }
  },
);

Deno.test(
  "disband: only the owner (204); every device of every member gets group_removed `disbanded`; then the group is not_found everywhere",
  opts,
  async () => {
    const [o, a, m] = await users(3);
    const m2 = await secondDevice(url, m);
    try {
      const { id, path, conversationId, to } = await club(o, [a, m], [a]);
      await o.send(to, text("before the end"));
      await linesOf(o, conversationId, 4);
      assertEquals(await answer(url, a.token, "DELETE", path), [403, "forbidden"]);
      assertEquals(await answer(url, m.token, "DELETE", path), [403, "forbidden"]);
      const devices = [o, a, m, m2];
      const removed = devices.map((c) =>
        waitFor(c, "frame", (f) => f.op === "group_removed" && f.groupId === id)
      );
      assertEquals(await answer(url, o.token, "DELETE", path), [204, null]);
      for (const frame of await Promise.all(removed)) {
        assertEquals(frame, { op: "group_removed", groupId: id, reason: "disbanded" });
      }
      for (const c of [o, a, m]) {
        assertEquals(await answer(url, c.token, "GET", path), [404, "not_found"]);
        assertEquals(await errorCode(c.history(conversationId)), "not_found");
        assertEquals(await errorCode(c.send(to, text("anyone there?"))), "not_found");
        assertEquals(
          await errorCode(c.postMessage(to, text("hello?"), crypto.randomUUID())),
          "not_found",
        );
        assertEquals(await answer(url, c.token, "POST", `${path}/join`), [404, "not_found"]);
        await eventually(async () =>
          !(await c.conversations()).some((s) => s.id === conversationId)
        );
        assert(!(await c.groups()).some((g) => g.group.id === id));
      }
      assertEquals(await answer(url, o.token, "DELETE", path), [404, "not_found"]);
    } finally {
      await closeAll([o, a, m, m2]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Removal and leaving

Deno.test(
  "remove: group_removed `removed` on every device of the removed member, including a raw connection open at that moment; then sends, history and the group are forbidden, and nothing after the `removed` line arrives",
  opts,
  async () => {
    const [o, a, m, p] = await users(4);
    const m2 = await secondDevice(url, m);
    try {
      const { id, path, conversationId, to } = await club(o, [a, m, p], [a]);
      const before = await o.send(to, text("while m is a member"));
      await eventually(async () =>
        (await m.history(conversationId)).some((x) => x.id === before.id)
      );
      // A connection of m's own, open and signed in, sending while it is removed.
      const ws = new WebSocket(await m.connectUrl());
      const raw: Record<string, unknown>[] = [];
      ws.onmessage = (e) => raw.push(JSON.parse(e.data));
      await new Promise((resolve) => ws.onopen = resolve);
      ws.send(JSON.stringify({ op: "auth", token: m.token }));
      await eventually(() => raw.some((f) => f.op === "ready"));
      const seen1 = frames(m);
      const seen2 = frames(m2);
      const gone = [m, m2].map((c) => waitFor(c, "frame", (f) => f.op === "group_removed"));
      const shrunk = waitFor(p, "group_update", (g) => g.id === id && g.memberCount === 3);

      // Refusals first: an admin on the owner, on an admin (itself), a plain member, oneself.
      assertEquals(await answer(url, a.token, "DELETE", members(path, idOf(o))), [
        403,
        "forbidden",
      ]);
      assertEquals(await answer(url, m.token, "DELETE", members(path, idOf(p))), [
        403,
        "forbidden",
      ]);
      assertEquals(await answer(url, a.token, "DELETE", members(path, idOf(a))), [
        400,
        "invalid_argument",
      ]);
      assertEquals(await answer(url, o.token, "DELETE", members(path, idOf(o))), [
        400,
        "invalid_argument",
      ]);

      assertEquals(await answer(url, a.token, "DELETE", members(path, idOf(m))), [204, null]);
      for (const frame of await Promise.all(gone)) {
        assertEquals(frame, { op: "group_removed", groupId: id, reason: "removed" });
      }
      await eventually(() =>
        raw.some((f) => f.op === "group_removed" && f.groupId === id && f.reason === "removed")
      );
      assertEquals((await shrunk).memberCount, 3);
      // The removed member still gets the line that says so, and nothing after it.
      const removedLine = await eventually(() =>
        pushedIn(seen1, conversationId).find((x) =>
          x.content.type === "system" && x.content.event === "removed"
        )
      );
      assertEquals(removedLine.content, {
        type: "system",
        event: "removed",
        userId: idOf(m),
        by: idOf(a),
      });
      await eventually(() => pushedIn(seen2, conversationId).some((x) => x.id === removedLine.id));
      const seenByP = frames(p);
      const after = await o.send(to, text("m is gone"));
      // Pushed to the members that remain (the same fan-out m is no longer part of).
      await eventually(() => pushedIn(seenByP, conversationId).some((x) => x.id === after.id));
      await Promise.all([roundTrip(m), roundTrip(m2)]);
      for (const seen of [seen1, seen2]) {
        assertEquals(pushedIn(seen, conversationId).filter((x) => x.seq > removedLine.seq), []);
      }
      assert(!raw.some((f) => f.op === "message" && (f.message as Message).seq > removedLine.seq));

      // The open raw connection sends: refused; so is every other way in.
      ws.send(
        JSON.stringify({
          op: "send",
          clientMsgId: "after-removal",
          to,
          content: text("still here?"),
        }),
      );
      const refusal = await eventually(() =>
        raw.find((f) => f.op === "error" && f.ref === "after-removal")
      );
      assertEquals(refusal.code, "forbidden");
      assertEquals(await errorCode(m2.send(to, text("let me back"))), "forbidden");
      assertEquals(
        await errorCode(m.postMessage(to, text("or this"), crypto.randomUUID())),
        "forbidden",
      );
      assertEquals(await errorCode(m.history(conversationId)), "forbidden");
      assertEquals(await answer(url, m.token, "GET", path), [403, "forbidden"]);
      assertEquals(await answer(url, m.token, "GET", `${path}/requests`), [403, "forbidden"]);
      // A second removal of the same member: not a member.
      assertEquals(await answer(url, o.token, "DELETE", members(path, idOf(m))), [
        404,
        "not_found",
      ]);
      // The owner removes an admin.
      assertEquals(await answer(url, o.token, "DELETE", members(path, idOf(a))), [204, null]);
      assertEquals(Object.keys(await roles(o, id)).sort(), [idOf(o), idOf(p)].sort());
      assertEquals(events((await linesOf(o, conversationId, 6)).slice(-2)), [
        line("removed", idOf(a), idOf(m)),
        line("removed", idOf(o), idOf(a)),
      ]);
      ws.close();
    } finally {
      await closeAll([o, a, m, m2, p]);
    }
  },
);

Deno.test(
  "leave: an owner leaving hands the group to the longest-standing admin (not the earliest promoted), else member; the last member leaving disbands it",
  opts,
  async () => {
    const [o, early, a1, a2] = await users(4);
    try {
      // early joined first but stays a member; a1 joined before a2; a2 is promoted first.
      const { id, path, conversationId } = await club(o, [early, a1, a2], [a2, a1]);
      // Everyone reads every line (under since_join each would start at their own `joined`).
      await groupApi(o).patch(id, { history: "all" });
      const left = waitFor(o, "frame", (f) => f.op === "group_removed" && f.groupId === id);
      await o.leaveGroup(id);
      assertEquals(await left, { op: "group_removed", groupId: id, reason: "left" });
      const group = (await a2.group(id)).group;
      assertEquals([group.ownerId, group.memberCount], [idOf(a1), 3]);
      assertEquals(await roles(early, id), {
        [idOf(early)]: "member",
        [idOf(a1)]: "owner",
        [idOf(a2)]: "admin",
      });
      assertEquals(events((await linesOf(a1, conversationId, 9)).slice(-2)), [
        line("left", idOf(o), idOf(o)),
        line("transferred", idOf(o), idOf(a1)),
      ]);
      assertEquals(await answer(url, o.token, "POST", `${path}/leave`), [403, "forbidden"]);
      assertEquals(await errorCode(o.history(conversationId)), "forbidden");

      // No admin left: the longest-standing member.
      await a2.leaveGroup(id);
      await a1.leaveGroup(id);
      assertEquals((await early.group(id)).group.ownerId, idOf(early));
      assertEquals(events((await linesOf(early, conversationId, 12)).slice(-3)), [
        line("left", idOf(a2), idOf(a2)),
        line("left", idOf(a1), idOf(a1)),
        line("transferred", idOf(a1), idOf(early)),
      ]);
      // The last one out: the group is gone.
      const last = waitFor(early, "frame", (f) => f.op === "group_removed" && f.groupId === id);
      await early.leaveGroup(id);
      assertEquals(await last, { op: "group_removed", groupId: id, reason: "left" });
      assertEquals(await answer(url, early.token, "GET", path), [404, "not_found"]);
      assertEquals(await answer(url, o.token, "POST", `${path}/join`), [404, "not_found"]);
    } finally {
      await closeAll([o, early, a1, a2]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Muting

Deno.test(
  "mute a member: by the owner, or an admin on a plain member; their sends forbidden until then (saying until when), unmute with null; times in the past or beyond 366 days invalid_argument",
  opts,
  async () => {
    const [o, a, a2, m, p] = await users(5);
    try {
      const { id, path, conversationId, to } = await club(o, [a, a2, m, p], [a, a2]);
      const mute = (c: ImClient, target: ImClient, mutedUntil: unknown) =>
        answer(url, c.token, "PATCH", members(path, idOf(target)), { mutedUntil });
      const soon = () => Date.now() + 60_000;
      assertEquals(await mute(a, o, soon()), [403, "forbidden"], "an admin on the owner");
      assertEquals(await mute(o, o, soon()), [403, "forbidden"], "the owner on themselves");
      assertEquals(await mute(a, a2, soon()), [403, "forbidden"], "an admin on an admin");
      assertEquals(await mute(a, a, soon()), [403, "forbidden"], "an admin on themselves");
      assertEquals(await mute(m, p, soon()), [403, "forbidden"], "a plain member");
      for (
        const bad of [
          Date.now() - 1000,
          0,
          -5,
          soon() + 0.5,
          String(soon()),
          true,
          {},
          Date.now() + MUTE_MAX_MS + 60_000,
          1e300,
        ]
      ) {
        assertEquals(await mute(o, m, bad), [400, "invalid_argument"], `mutedUntil ${bad}`);
      }
      await m.send(to, text("not muted yet"));

      const until = soon();
      const member = await groupApi(a).mute(id, idOf(m), until);
      assertEquals([member.user.id, member.role, member.mutedUntil], [idOf(m), "member", until]);
      assertEquals(
        (await p.group(id)).members.find((x) => x.user.id === idOf(m))?.mutedUntil,
        until,
      );
      const refusal = await m.send(to, text("muted?")).then(() => null, (e) => e);
      assertEquals(refusal?.code, "forbidden");
      assert(
        refusal.message.includes(new Date(until).toISOString()),
        `the refusal says until when: ${refusal.message}`,
      );
      assertEquals(
        await errorCode(m.postMessage(to, text("muted, HTTP"), crypto.randomUUID())),
        "forbidden",
      );
      // Others still send; the owner may mute an admin.
      await p.send(to, text("p is not muted"));
      const adminUntil = Date.now() + MUTE_MAX_MS - 60_000;
      assertEquals((await groupApi(o).mute(id, idOf(a), adminUntil)).mutedUntil, adminUntil);
      assertEquals(await errorCode(a.send(to, text("admin, muted"))), "forbidden");
      assertEquals((await groupApi(o).mute(id, idOf(a), null)).mutedUntil, null);
      await a.send(to, text("admin, unmuted"));
      assertEquals((await groupApi(a).mute(id, idOf(m), null)).mutedUntil, null);
      await m.send(to, text("m, unmuted"));

      // A mute runs out by itself.
      const shortly = Date.now() + 1500;
      await groupApi(o).mute(id, idOf(p), shortly);
      assertEquals(await errorCode(p.send(to, text("too early"))), "forbidden");
      await sleep(shortly - Date.now() + 200);
      await p.send(to, text("the mute ran out"));

      const lines = events(await linesOf(o, conversationId, 12));
      assertEquals(lines.slice(-5), [
        line("muted", idOf(a), idOf(m), String(until)),
        line("muted", idOf(o), idOf(a), String(adminUntil)),
        line("muted", idOf(o), idOf(a)),
        line("muted", idOf(a), idOf(m)),
        line("muted", idOf(o), idOf(p), String(shortly)),
      ]);
    } finally {
      await closeAll([o, a, a2, m, p]);
    }
  },
);

Deno.test(
  "mute all: while the group is muted only the owner and admins send; admins switch it; `muted` lines on and off",
  opts,
  async () => {
    const [o, a, m] = await users(3);
    try {
      const { id, path, conversationId, to } = await club(o, [a, m], [a]);
      assertEquals(await answer(url, m.token, "PATCH", path, { muted: true }), [403, "forbidden"]);
      const update = waitFor(m, "group_update", (g) => g.id === id && g.muted);
      assertEquals((await groupApi(a).patch(id, { muted: true })).muted, true);
      assertEquals((await update).muted, true);
      assertEquals((await m.group(id)).group.muted, true);
      const refusal = await m.send(to, text("members too?")).then(() => null, (e) => e);
      assertEquals(refusal?.code, "forbidden");
      assert(/only the owner and admins/.test(refusal.message), refusal.message);
      assertEquals(
        await errorCode(m.postMessage(to, text("HTTP?"), crypto.randomUUID())),
        "forbidden",
      );
      await a.send(to, text("an admin speaks"));
      await o.send(to, text("the owner speaks"));
      assertEquals((await groupApi(o).patch(id, { muted: false })).muted, false);
      await m.send(to, text("a member speaks again"));
      assertEquals(events((await linesOf(o, conversationId, 6)).slice(-2)), [
        line("muted", idOf(a), undefined, "on"),
        line("muted", idOf(o), undefined, "off"),
      ]);
    } finally {
      await closeAll([o, a, m]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Group settings: notice, name, policies, history

Deno.test(
  "group settings: admins change name, notice, policy, mute and history (a line per changed field, none for an unchanged one or an avatar); plain members forbidden; bad notices invalid_argument",
  opts,
  async () => {
    const [o, a, m] = await users(3);
    try {
      const { id, path, conversationId } = await club(o, [a, m], [a]);
      const fresh = (await o.group(id)).group;
      assertEquals(
        [fresh.notice, fresh.joinPolicy, fresh.muted, fresh.history],
        ["", "open", false, "since_join"],
      );
      for (
        const body of [{ name: "x" }, { notice: "x" }, { joinPolicy: "invite" }, { muted: true }, {
          history: "all",
        }, { avatar: null }]
      ) {
        assertEquals(
          await answer(url, m.token, "PATCH", path, body),
          [403, "forbidden"],
          JSON.stringify(body),
        );
      }
      const bad = [
        {},
        { notice: "a\0b" },
        { notice: "tab\there" },
        { notice: "bell\x07" },
        { notice: "x".repeat(1001) },
        { notice: 5 },
        { notice: null },
        { joinPolicy: "closed" },
        { muted: "yes" },
        { history: "forever" },
        { colour: "red" },
      ];
      for (const body of bad) {
        assertEquals(
          await answer(url, a.token, "PATCH", path, body),
          [400, "invalid_argument"],
          JSON.stringify(body),
        );
      }
      const notice = "House rules:\n1. be kind\n2. no spam 😀";
      assertEquals((await groupApi(a).patch(id, { notice })).notice, notice);
      // 1000 code points (2000 UTF-16 units) is the limit.
      const longest = "😀".repeat(1000);
      assertEquals((await groupApi(a).patch(id, { notice: longest })).notice, longest);
      const renamed = await groupApi(a).patch(id, { name: "renamed by an admin" });
      assertEquals(renamed.name, "renamed by an admin");
      // Three fields at once: three lines; the same again: none.
      const three = { name: "three at once", notice: "", joinPolicy: "approval" };
      const after = await groupApi(o).patch(id, three);
      assertEquals([after.name, after.notice, after.joinPolicy], ["three at once", "", "approval"]);
      await groupApi(o).patch(id, three);
      // An avatar is no line (group_update only).
      const media = await o.uploadMedia(PNG_2x3, "image/png");
      const update = waitFor(m, "group_update", (g) => g.id === id && g.avatar !== null);
      assert((await groupApi(o).patch(id, { avatar: media.id })).avatar);
      await update;
      assertEquals((await groupApi(a).patch(id, { history: "all" })).history, "all");
      const lines = await linesOf(o, conversationId, 11);
      assertEquals(events(lines.slice(4, 7)), [
        line("notice", idOf(a), undefined, notice),
        line("notice", idOf(a), undefined, longest),
        line("renamed", idOf(a), undefined, "renamed by an admin"),
      ]);
      const patch = events(lines.slice(7, 10));
      const key = (l: object) => JSON.stringify(l);
      assertEquals(
        patch.map(key).sort(),
        [
          line("renamed", idOf(o), undefined, "three at once"),
          line("notice", idOf(o), undefined, ""),
          line("policy", idOf(o), undefined, "approval"),
        ].map(key).sort(),
      );
      assertEquals(events(lines.slice(10)), [line("policy", idOf(a), undefined, "all")]);
      // Only the fields given changed.
      const now = (await m.group(id)).group;
      assertEquals(
        [now.name, now.notice, now.joinPolicy, now.muted, now.history],
        ["three at once", "", "approval", false, "all"],
      );
    } finally {
      await closeAll([o, a, m]);
    }
  },
);

Deno.test(
  "history: under since_join a joiner reads from their `joined` line (nothing earlier, no unread system lines); `all` opens the past",
  opts,
  async () => {
    const [o, m, late] = await users(3);
    try {
      const { id, conversationId, to } = await club(o, [m]);
      for (const t of ["one", "two", "three"]) await o.send(to, text(t));
      await eventually(async () => (await everything(o, conversationId)).length === 5);
      const seen = frames(late);
      await late.joinGroup(id);
      const first = await eventually(async () => {
        const all = await everything(late, conversationId);
        return all.length > 0 ? all : null;
      });
      assertEquals(first.map((x) => [x.seq, x.content]), [
        [6, { type: "system", event: "joined", userId: idOf(late), by: idOf(late) }],
      ]);
      assertEquals(await late.history(conversationId, { before: 6 }), []);
      // Pushed live too, from that line on.
      await eventually(() => pushedIn(seen, conversationId).some((x) => x.seq === 6));
      const later = await o.send(to, text("four"));
      const push = await eventually(() =>
        pushedIn(seen, conversationId).find((x) => x.id === later.id)
      );
      assertEquals(pushedIn(seen, conversationId).map((x) => x.seq), [6, push.seq]);
      // Only the text counts as unread; a system line may be lastMessage.
      const summary = await eventually(async () =>
        (await late.conversations()).find((s) =>
          s.id === conversationId && s.lastMessage?.id === later.id
        )
      );
      assertEquals(summary.unread, 1);
      await groupApi(o).patch(id, { history: "all" });
      await eventually(async () => (await everything(late, conversationId)).length === 8);
      const whole = await everything(late, conversationId);
      assertEquals(whole.map((x) => x.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
      assertEquals(events(systemLines(whole)), [
        line("created", idOf(o)),
        line("joined", idOf(m), idOf(m)),
        line("joined", idOf(late), idOf(late)),
        line("policy", idOf(o), undefined, "all"),
      ]);
      const last = await eventually(async () =>
        (await m.conversations()).find((s) => s.id === conversationId && s.lastSeq === 8)
      );
      assertEquals(last.lastMessage?.content.type, "system", "a system line may be lastMessage");
      assertEquals(last.unread, 4, "the four texts; none of the four system lines");
    } finally {
      await closeAll([o, m, late]);
    }
  },
);

Deno.test(
  "system lines: a new group is in every member's list at once (its `created` line), lines are never unread, and a member added at seq N receives N and everything after",
  opts,
  async () => {
    const [o, f, g] = await users(3);
    try {
      await befriend(o, f);
      await befriend(o, g);
      const group = await o.createGroup(uniqueName("new"), [idOf(f)]);
      const conversationId = `g:${group.id}`;
      const to: Target = { type: "group", id: group.id };
      const listed = await eventually(async () =>
        (await f.conversations()).find((s) => s.id === conversationId && s.lastMessage)
      );
      assertEquals([listed.unread, listed.lastMessage?.content.type], [0, "system"]);
      const created = systemLines(await everything(f, conversationId));
      assertEquals([created[0].seq, events(created)[0]], [1, line("created", idOf(o))]);
      const before = await o.send(to, text("before g"));
      const lastSeq = (await eventually(async () =>
        (await everything(o, conversationId)).find((x) =>
          x.id === before.id
        )
      )).seq;
      const seen = frames(g);
      await o.addGroupMembers(group.id, [idOf(g)]);
      const joined = await eventually(() =>
        pushedIn(seen, conversationId).find((x) => x.content.type === "system")
      );
      assertEquals(joined.content, {
        type: "system",
        event: "joined",
        userId: idOf(g),
        by: idOf(o),
      });
      assertEquals(joined.seq, lastSeq + 1);
      const next = await f.send(to, text("welcome g"));
      await eventually(() => pushedIn(seen, conversationId).some((x) => x.id === next.id));
      assertEquals(pushedIn(seen, conversationId).map((x) => x.seq), [lastSeq + 1, lastSeq + 2]);
      assertEquals((await everything(g, conversationId)).map((x) => x.seq), [
        lastSeq + 1,
        lastSeq + 2,
      ]);
      const summary = await eventually(async () =>
        (await g.conversations()).find((s) => s.id === conversationId && s.lastSeq === lastSeq + 2)
      );
      assertEquals(summary.unread, 1);
    } finally {
      await closeAll([o, f, g]);
    }
  },
);

Deno.test(
  "system lines cannot be forged: a send whose content is `system` is invalid_argument (WebSocket and HTTP), and nothing is stored",
  opts,
  async () => {
    const [o] = await users(1);
    try {
      const { conversationId, to } = await club(o, []);
      const forged = { type: "system", event: "transferred", userId: idOf(o), by: idOf(o) };
      assertEquals(
        // deno-lint-ignore no-explicit-any
        await errorCode(o.send(to, forged as any)),
        "invalid_argument",
      );
      assertEquals(
        await answer(url, o.token, "POST", "/api/messages", {
          to,
          clientMsgId: crypto.randomUUID(),
          content: forged,
        }),
        [400, "invalid_argument"],
      );
      await linesOf(o, conversationId, 1);
      await sleep(200);
      assertEquals((await everything(o, conversationId)).map((m) => m.content), [
        { type: "system", event: "created", by: idOf(o) },
      ]);
    } finally {
      await closeAll([o]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Join policies and requests

Deno.test(
  "approval: join is 202 {request} (again: the same request); owner and admins get group_join_request live and list it; accept is 200 {group} with a `joined` line by the accepter; twice is not_found; reject is 204",
  opts,
  async () => {
    const [o, a, m, j, k] = await users(5);
    try {
      const { id, path, conversationId } = await club(o, [a, m], [a]);
      await groupApi(o).patch(id, { joinPolicy: "approval" });
      const [fo, fa, fm] = [frames(o), frames(a), frames(m)];
      const [status, body] = await rawCall(url, j.token, "POST", `${path}/join`);
      assertEquals(status, 202);
      const request = (body as { request: JoinRequest }).request;
      assertEquals([request.groupId, request.user.id, request.user.username], [
        id,
        idOf(j),
        j.self!.username,
      ]);
      assert(typeof request.id === "string" && typeof request.createdAt === "number");
      const again = await rawCall(url, j.token, "POST", `${path}/join`);
      assertEquals([again[0], (again[1] as { request: JoinRequest }).request.id], [
        202,
        request.id,
      ]);
      for (const seen of [fo, fa]) {
        const live = await eventually(() => ofOp(seen, "group_join_request")[0]);
        assertEquals(live.request, request);
      }
      assertEquals(await groupApi(o).requests(id), [request]);
      assertEquals(await groupApi(a).requests(id), [request]);
      assertEquals(await answer(url, m.token, "GET", `${path}/requests`), [403, "forbidden"]);
      assertEquals(await answer(url, j.token, "GET", `${path}/requests`), [403, "forbidden"]);
      assertEquals(await answer(url, j.token, "GET", path), [403, "forbidden"], "not a member yet");

      const welcomed = waitFor(j, "group_update", (g) => g.id === id);
      const group = await groupApi(a).accept(id, request.id);
      assertEquals([group.id, group.memberCount], [id, 4]);
      assertEquals((await welcomed).memberCount, 4);
      for (const seen of [fo, fa]) {
        assertEquals(
          await eventually(() => ofOp(seen, "group_join_request_closed")[0]),
          { op: "group_join_request_closed", groupId: id, requestId: request.id },
        );
      }
      assertEquals(await groupApi(o).requests(id), []);
      assertEquals(await answer(url, o.token, "POST", `${path}/requests/${request.id}/accept`), [
        404,
        "not_found",
      ]);
      assertEquals(await answer(url, o.token, "POST", `${path}/requests/${request.id}/reject`), [
        404,
        "not_found",
      ]);
      assertEquals(await answer(url, j.token, "POST", `${path}/join`), [409, "conflict"]);
      assertEquals(events(await linesOf(j, conversationId, 1)), [line("joined", idOf(a), idOf(j))]);

      // A rejection: 204, the requester gets nothing and stays out.
      const [, kBody] = await rawCall(url, k.token, "POST", `${path}/join`);
      const kRequest = (kBody as { request: JoinRequest }).request;
      assertEquals(await answer(url, m.token, "POST", `${path}/requests/${kRequest.id}/reject`), [
        403,
        "forbidden",
      ]);
      assertEquals(await answer(url, k.token, "POST", `${path}/requests/${kRequest.id}/accept`), [
        403,
        "forbidden",
      ]);
      assertEquals(await answer(url, o.token, "POST", `${path}/requests/${kRequest.id}/reject`), [
        204,
        null,
      ]);
      await eventually(() =>
        ofOp(fa, "group_join_request_closed").some((f) => f.requestId === kRequest.id)
      );
      assertEquals(await groupApi(o).requests(id), []);
      assertEquals(await answer(url, k.token, "GET", path), [403, "forbidden"]);
      assertEquals(await answer(url, o.token, "POST", `${path}/requests/${kRequest.id}/accept`), [
        404,
        "not_found",
      ]);
      assertEquals(await answer(url, o.token, "POST", `${path}/requests/424242/accept`), [
        404,
        "not_found",
      ]);
      // A plain member never heard of the requests.
      assertEquals(
        [...ofOp(fm, "group_join_request"), ...ofOp(fm, "group_join_request_closed")],
        [],
      );
      assertEquals(events((await linesOf(o, conversationId, 6)).slice(-2)), [
        line("policy", idOf(o), undefined, "approval"),
        line("joined", idOf(a), idOf(j)),
      ]);
    } finally {
      await closeAll([o, a, m, j, k]);
    }
  },
);

Deno.test(
  "approval races: two accepts at once (one 200, one not_found, one `joined` line); a requester added meanwhile has the request closed; accepting into a full group is forbidden and the request stays",
  opts,
  async () => {
    const [o, a, j, f] = await users(4);
    try {
      await befriend(o, f);
      const { id, path, conversationId } = await club(o, [a], [a]);
      await groupApi(o).patch(id, { joinPolicy: "approval" });
      const request = (await groupApi(j).join(id)).request!;
      const outcomes = await Promise.all([
        answer(url, o.token, "POST", `${path}/requests/${request.id}/accept`),
        answer(url, a.token, "POST", `${path}/requests/${request.id}/accept`),
      ]);
      assertEquals(outcomes.map(([s]) => s).sort(), [200, 404], JSON.stringify(outcomes));
      const joinedLines = (await linesOf(o, conversationId, 5)).filter((l) =>
        l.event === "joined" && l.userId === idOf(j)
      );
      assertEquals(joinedLines.length, 1);
      await sleep(300);
      assertEquals(
        (await everything(o, conversationId)).filter((x) =>
          x.content.type === "system" && x.content.event === "joined" &&
          x.content.userId === idOf(j)
        ).length,
        1,
        "one joined line",
      );

      // f asks, then the owner adds f (a friend): the request is closed, not left pending.
      const fRequest = (await groupApi(f).join(id)).request!;
      const closed = waitFor(
        a,
        "frame",
        (fr) => fr.op === "group_join_request_closed" && fr.requestId === fRequest.id,
      );
      await o.addGroupMembers(id, [idOf(f)]);
      await closed;
      assertEquals(await groupApi(o).requests(id), []);
      assertEquals(await answer(url, o.token, "POST", `${path}/requests/${fRequest.id}/accept`), [
        404,
        "not_found",
      ]);

      // Fill the group (GROUP_MAX members) with a request pending.
      const late = await newUser(url);
      const lateRequest = (await groupApi(late).join(id)).request!;
      await groupApi(o).patch(id, { joinPolicy: "open" });
      const fillers = await Promise.all(
        Array.from({ length: GROUP_MAX - 4 }, () => newUser(url, { connect: false })),
      );
      for (const filler of fillers) await filler.joinGroup(id);
      assertEquals((await o.group(id)).group.memberCount, GROUP_MAX);
      assertEquals(
        await answer(url, o.token, "POST", `${path}/requests/${lateRequest.id}/accept`),
        [403, "forbidden"],
      );
      assertEquals(
        (await groupApi(o).requests(id)).map((r) => r.id),
        [lateRequest.id],
        "the request stays",
      );
      const outsider = await newUser(url);
      assertEquals(
        await answer(url, outsider.token, "POST", `${path}/join`),
        [403, "forbidden"],
        "join a full open group",
      );
      await befriend(o, outsider);
      assertEquals(
        await answer(url, o.token, "POST", `${path}/members`, { userIds: [idOf(outsider)] }),
        [403, "forbidden"],
      );
      await groupApi(o).patch(id, { joinPolicy: "approval" });
      // Room again: the request is accepted.
      await fillers[0].leaveGroup(id);
      assertEquals((await groupApi(o).accept(id, lateRequest.id)).memberCount, GROUP_MAX);
    } finally {
      await closeAll([o, a, j, f]);
    }
  },
);

Deno.test(
  "invite: join is forbidden; any member adds a friend (a `joined` line by the adder)",
  opts,
  async () => {
    const [o, m, friend, stranger] = await users(4);
    try {
      await befriend(m, friend);
      const { id, path, conversationId } = await club(o, [m]);
      await groupApi(o).patch(id, { joinPolicy: "invite" });
      assertEquals(await answer(url, stranger.token, "POST", `${path}/join`), [403, "forbidden"]);
      assertEquals(await answer(url, m.token, "POST", `${path}/join`), [409, "conflict"]);
      assertEquals(await answer(url, o.token, "GET", `${path}/requests`), [200, null]);
      const group = await m.addGroupMembers(id, [idOf(friend)]);
      assertEquals(group.memberCount, 3);
      assertEquals(
        await answer(url, stranger.token, "POST", `${path}/members`, { userIds: [idOf(stranger)] }),
        [403, "forbidden"],
      );
      assertEquals(events((await linesOf(o, conversationId, 4)).slice(-2)), [
        line("policy", idOf(o), undefined, "invite"),
        line("joined", idOf(m), idOf(friend)),
      ]);
    } finally {
      await closeAll([o, m, friend, stranger]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Races of issue 16

Deno.test(
  "races: two admins removing one member at once (one 204, one not_found, one `removed` line); an admin removed while acting",
  opts,
  async () => {
    const [o, a1, a2, m] = await users(4);
    try {
      const { id, path, conversationId } = await club(o, [a1, a2, m], [a1, a2]);
      const gone = waitFor(m, "frame", (f) => f.op === "group_removed");
      const outcomes = await Promise.all([
        answer(url, a1.token, "DELETE", members(path, idOf(m))),
        answer(url, a2.token, "DELETE", members(path, idOf(m))),
      ]);
      assertEquals(outcomes.map((x) => x.join(" ")).sort(), ["204 ", "404 not_found"]);
      await gone;
      const lines = await linesOf(o, conversationId, 7);
      await sleep(300);
      const removed = systemLines(await everything(o, conversationId)).filter((l) =>
        l.event === "removed"
      );
      assertEquals(removed.length, 1, JSON.stringify(lines));
      // The owner removes an admin while that admin demotes... nothing: an admin acting on an admin.
      const [ownerRemoves, adminRemoves] = await Promise.all([
        answer(url, o.token, "DELETE", members(path, idOf(a2))),
        answer(url, a2.token, "DELETE", members(path, idOf(a1))),
      ]);
      assertEquals(ownerRemoves, [204, null]);
      assertEquals(adminRemoves, [403, "forbidden"]);
      assertEquals(await roles(o, id), { [idOf(o)]: "owner", [idOf(a1)]: "admin" });
    } finally {
      await closeAll([o, a1, a2, m]);
    }
  },
);

Deno.test(
  "races: a change racing the member's own leave or join is recorded in the order the store made it (no line about a non-member)",
  opts,
  async () => {
    const [o, a] = await users(2);
    const pool = await users(4);
    try {
      const { id, path, conversationId } = await club(o, [a], [a]);
      await groupApi(o).patch(id, { history: "all" });
      const until = Date.now() + 3600_000;
      for (let round = 0; round < 6; round++) {
        await Promise.all(pool.map(async (x, i) => {
          // In: join at once with a mute (the mute is not_found unless the join came first).
          await Promise.all([
            answer(url, x.token, "POST", `${path}/join`),
            answer(url, a.token, "PATCH", members(path, idOf(x)), { mutedUntil: until + i }),
          ]);
          // Out: leave at once with a role change (forbidden or not_found once gone).
          await Promise.all([
            answer(url, x.token, "POST", `${path}/leave`),
            answer(url, o.token, "PATCH", members(path, idOf(x)), { role: "admin" }),
          ]);
        }));
      }
      const stored = (await o.group(id)).members;
      const history = await eventually(async () => {
        const all = await everything(o, conversationId);
        return isSame(sorted(replay(systemLines(all)).members), sorted(asReplayed(stored)))
          ? all
          : null;
      }, 10_000).catch(() => everything(o, conversationId));
      const lines = systemLines(history);
      const { errors } = replay(lines);
      assertEquals(
        errors,
        [],
        `lines about members who were not members at that seq; around the first: ${
          JSON.stringify(
            lines.filter((l) => Math.abs(l.seq - Number(/\d+/.exec(errors[0] ?? "0")![0])) <= 2)
              .map((l) => `${l.seq} ${l.event} ${l.userId ?? ""} by ${l.by} ${l.value ?? ""}`),
          )
        }`,
      );
      assertEquals(sorted(replay(lines).members), sorted(asReplayed(stored)));
    } finally {
      await closeAll([o, a, ...pool]);
    }
  },
);

/**
 * Many clients change one group at once: the owner switches roles and adds friends, two admins
 * mute, unmute and remove, outsiders join and members leave and send. Whatever order the server
 * settled them in, afterwards: every member's `GET` equals the stored membership, replaying the
 * system lines gives that membership with its roles and mutes, and every client was pushed
 * exactly the seqs of its membership spans (from its `joined` line to its `left`/`removed` line).
 */
Deno.test(
  "race: concurrent role, mute, remove, add, join and leave operations on one group: views, stored membership, system lines and pushes agree",
  opts,
  async () => {
    const [o, a1, a2] = await users(3);
    const pool = await users(9);
    const everyone = [o, a1, a2, ...pool];
    const pushes = new Map(everyone.map((c) => [idOf(c), frames(c)]));
    try {
      for (const p of pool.slice(0, 3)) await befriend(o, p);
      const { id, path, conversationId, to } = await club(o, [a1, a2, ...pool.slice(3, 7)], [
        a1,
        a2,
      ]);
      await groupApi(o).patch(id, { history: "all" });
      const outcomes: string[] = [];
      const allowed = new Set([200, 202, 204, 403, 404, 409]);
      const op = async (what: string, call: Promise<[number, string | null]>) => {
        const [status, code] = await call;
        outcomes.push(`${what}: ${status}${code ? ` ${code}` : ""}`);
        assert(allowed.has(status), `${what}: ${status} ${code}`);
        if (status === 403) assertEquals(code, "forbidden", what);
      };
      const rand = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)];
      const until = Date.now() + 3600_000;
      const actors = [
        // The owner: roles of anyone, adds of its friends, removals.
        async () => {
          for (let i = 0; i < 12; i++) {
            const t = rand(pool);
            const roll = Math.random();
            if (roll < 0.5) {
              await op(
                "owner role",
                answer(url, o.token, "PATCH", members(path, idOf(t)), {
                  role: rand(["admin", "member"]),
                }),
              );
            } else if (roll < 0.75) {
              await op(
                "owner add",
                answer(url, o.token, "POST", `${path}/members`, {
                  userIds: [idOf(rand(pool.slice(0, 3)))],
                }),
              );
            } else {
              await op("owner remove", answer(url, o.token, "DELETE", members(path, idOf(t))));
            }
          }
        },
        // Two admins: mute, unmute, remove.
        ...[a1, a2].map((admin) => async () => {
          for (let i = 0; i < 12; i++) {
            const t = rand(pool);
            const roll = Math.random();
            if (roll < 0.6) {
              await op(
                "admin mute",
                answer(url, admin.token, "PATCH", members(path, idOf(t)), {
                  mutedUntil: rand([until + i, null]),
                }),
              );
            } else {
              await op("admin remove", answer(url, admin.token, "DELETE", members(path, idOf(t))));
            }
          }
        }),
        // The pool: join, leave, send.
        ...pool.map((p) => async () => {
          for (let i = 0; i < 5; i++) {
            const roll = Math.random();
            if (roll < 0.4) await op("join", answer(url, p.token, "POST", `${path}/join`));
            else if (roll < 0.6) await op("leave", answer(url, p.token, "POST", `${path}/leave`));
            else {
              await p.send(to, text(`from ${idOf(p)} #${i}`)).then(
                () => outcomes.push("send: ok"),
                (e) => outcomes.push(`send: ${e.code}`),
              );
            }
          }
        }),
      ];
      await Promise.all(actors.map((act) => act()));
      console.log(`race: ${outcomes.length} operations; ${summarize(outcomes)}`);

      // Settled: the stored membership, and each member's view of it.
      const stored = (await o.group(id)).members;
      assertEquals((await o.group(id)).group.memberCount, stored.length);
      for (const m of stored) {
        const client = everyone.find((c) => idOf(c) === m.user.id)!;
        const view = await client.group(id);
        assertEquals(strip(view.members), strip(stored), `${m.user.id}'s view`);
      }
      // The history replayed gives the same membership, roles and mutes.
      const history = await eventually(async () => {
        const all = await everything(o, conversationId);
        const replayed = replay(systemLines(all));
        return isSame(sorted(replayed.members), sorted(asReplayed(stored))) ? all : null;
      }, 15_000).catch(async () => {
        const all = await everything(o, conversationId);
        assertEquals(
          sorted(replay(systemLines(all)).members),
          sorted(asReplayed(stored)),
          "replay vs stored",
        );
        return all;
      });
      assertEquals(history.map((x) => x.seq), history.map((_, i) => i + 1), "seqs without gaps");
      const { errors } = replay(systemLines(history));
      assertEquals(
        errors,
        [],
        `the system lines contradict themselves; lines: ${
          JSON.stringify(
            systemLines(history).map((l) =>
              `${l.seq} ${l.event} ${l.userId ?? ""} by ${l.by} ${l.value ?? ""}`
            ),
          )
        }`,
      );

      // Every client was pushed its membership spans, nothing outside them.
      const spans = membershipSpans(systemLines(history), history[history.length - 1].seq);
      for (const client of everyone) {
        const want = spans.get(idOf(client)) ?? [];
        const expected = history.filter((x) =>
          want.some(([from, to]) => x.seq >= from && x.seq <= to)
        ).map((x) => x.seq);
        await eventually(async () => {
          await roundTrip(client);
          return isSame(
            pushedIn(pushes.get(idOf(client))!, conversationId).map((x) => x.seq),
            expected,
          );
        }, 10_000).catch(() =>
          assertEquals(
            pushedIn(pushes.get(idOf(client))!, conversationId).map((x) => x.seq),
            expected,
            `pushes of ${idOf(client)} (spans ${JSON.stringify(want)})`,
          )
        );
      }
    } finally {
      await closeAll(everyone);
    }
  },
);

/** A member as the comparison of views sees it (presence aside). */
function strip(list: readonly GroupMember[]) {
  return list.map((m) => ({ id: m.user.id, role: m.role, mutedUntil: m.mutedUntil }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function isSame(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Counts of each outcome, for the log. */
function summarize(outcomes: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].sort().map(([k, n]) => `${k} ×${n}`).join(", ");
}

/**
 * Each user's spans of membership in seqs, from the system lines: from `created` (the owner) or
 * their `joined` line, to their `left` or `removed` line, or to `last` while still a member.
 */
function membershipSpans(
  lines: readonly SystemLine[],
  last: number,
): Map<string, [number, number][]> {
  const open = new Map<string, number>();
  const spans = new Map<string, [number, number][]>();
  const close = (userId: string, at: number) => {
    const from = open.get(userId);
    if (from === undefined) return;
    open.delete(userId);
    spans.set(userId, [...(spans.get(userId) ?? []), [from, at]]);
  };
  for (const l of lines) {
    if (l.event === "created") open.set(l.by, l.seq);
    if (l.event === "joined" && l.userId) open.set(l.userId, l.seq);
    if ((l.event === "left" || l.event === "removed") && l.userId) close(l.userId, l.seq);
  }
  for (const userId of [...open.keys()]) close(userId, last);
  return spans;
}
