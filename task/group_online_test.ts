/** Groups' online counts: at most one a group per window whatever the churn, the last one current. */
import assert from "node:assert/strict";
import { MemoryLog } from "../shared/message_log/memory.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { MemoryPresenceNotices } from "../shared/presence_notices/memory.ts";
import { MemoryStatusQueue } from "../shared/queue/memory.ts";
import type { PushItem } from "../shared/rpc/connect.ts";
import { openSqliteStore } from "../shared/store/sqlite.ts";
import type { Outgoing } from "./deliver.ts";
import { GroupOnline } from "./group_online.ts";
import { createTask } from "./mod.ts";
import { RecordingConnect } from "./_recording_connect.ts";

/** The `group_online` frames of pushed items, as `groupId: count`. */
function counts(items: readonly (Outgoing | PushItem)[]): string[] {
  return items.flatMap((item) => {
    const frame = JSON.parse(item.frame);
    return frame.op === "group_online" ? [`${frame.groupId}: ${frame.count}`] : [];
  });
}

Deno.test("GroupOnline sends one count a window across two task processes, the last one current", async () => {
  const presence = new MemoryPresence();
  const notices = new MemoryPresenceNotices();
  const members = Array.from({ length: 100 }, (_, i) => `m${i}`);
  let counted = 0;
  const groups = {
    idsOf: () => Promise.resolve(["g1"]),
    memberIds: () => {
      counted++;
      return Promise.resolve(members);
    },
    member: (_groupId: string, userId: string) =>
      Promise.resolve(
        members.includes(userId) ? { userId, role: "member" as const, mutedUntil: null } : null,
      ),
  };
  const sent: Outgoing[] = [];
  let now = 0;
  const [a, b] = [0, 1].map(() =>
    new GroupOnline({
      notices,
      presence,
      groups,
      send: (items) => Promise.resolve(void sent.push(...items)),
      windowMs: 1000,
      now: () => now,
    })
  );
  // 100 members come online within 0.9 s, their changes handled by either process, each
  // process polling for due counts as it goes.
  for (const [i, userId] of members.entries()) {
    now = i * 9;
    await presence.connect(userId, "s1", `c${i}`);
    await (i % 2 === 0 ? a : b).memberChanged(userId);
    await a.flush();
    await b.flush();
  }
  assert.deepEqual(counts(sent), ["g1: 1"], "the first change goes at once, the rest wait");
  now = 999;
  await Promise.all([a.flush(), b.flush()]);
  assert.equal(sent.length, 1);
  now = 1000;
  await Promise.all([a.flush(), b.flush()]);
  assert.deepEqual(counts(sent), ["g1: 1", "g1: 100"], "the window's end: the count of now");
  assert.equal(counted, 1, "every member counted once; then the count is kept");
  assert.equal("groupId" in sent[1] && sent[1].groupId, "g1", "one group push item");

  // A quiet window ends with nothing; the next change goes at once.
  now = 2500;
  await Promise.all([a.flush(), b.flush()]);
  await presence.disconnect("m0", "s1", "c0");
  await b.memberChanged("m0");
  assert.deepEqual(counts(sent), ["g1: 1", "g1: 100", "g1: 99"]);

  // A member who leaves while online is no longer counted; one who joins online is.
  now = 4000;
  members.splice(members.indexOf("m1"), 1);
  members.push("x1");
  await presence.connect("x1", "s1", "x");
  await a.membershipChanged([{ groupId: "g1", userIds: ["m1", "x1"] }]);
  assert.equal(counts(sent).length, 3, "logic tells a membership change's count");
  await presence.disconnect("m2", "s1", "c2");
  await a.memberChanged("m2");
  assert.deepEqual(counts(sent).at(-1), "g1: 98", "m1 gone, x1 come, m2 gone");
  assert.equal(counted, 1);

  // A kept count is trusted for 10 minutes: then every member is counted again.
  now = 600_000;
  await presence.disconnect("m3", "s1", "c3");
  await b.memberChanged("m3");
  assert.deepEqual(counts(sent).at(-1), "g1: 97");
  assert.equal(counted, 2);
});

Deno.test("GroupOnline starts the window when a slow count goes out, not when it was asked for", async () => {
  const presence = new MemoryPresence();
  const notices = new MemoryPresenceNotices();
  let now = 0;
  const sentAt: number[] = [];
  const groups = {
    idsOf: () => Promise.resolve(["g1"]),
    // Counting every member takes 700 ms of the clock.
    memberIds: () => Promise.resolve(void (now += 700)).then(() => ["m1", "m2"]),
    member: () => Promise.resolve({ userId: "m", role: "member" as const, mutedUntil: null }),
  };
  const online = new GroupOnline({
    notices,
    presence,
    groups,
    send: () => Promise.resolve(void sentAt.push(now)),
    now: () => now,
  });
  await presence.connect("m1", "s1", "c1");
  await online.memberChanged("m1");
  assert.deepEqual(sentAt, [700]);
  now = 800;
  await presence.connect("m2", "s1", "c2");
  await online.memberChanged("m2");
  now = 1000;
  await online.flush();
  assert.deepEqual(sentAt, [700], "a second after the count went out, not after it was asked");
  now = 1700;
  await online.flush();
  assert.deepEqual(sentAt, [700, 1700]);
});

/** A connect server that records what it is pushed. */

Deno.test("task sends at most two counts for 100 status changes of one group's members within a window", async () => {
  const store = await openSqliteStore({ dataDir: "memory://" });
  const presence = new MemoryPresence();
  const statusQueue = new MemoryStatusQueue();
  const server = new RecordingConnect();
  const errors: string[] = [];
  const task = createTask({
    log: new MemoryLog(),
    statusQueue,
    store,
    presence,
    notices: new MemoryPresenceNotices(),
    groupOnlineWindowMs: 1000,
    noticePollMs: 20,
    connects: { connectServers: () => ["s1"], connect: () => server },
    onError: (_error, context) => errors.push(context),
  });
  try {
    const ids = Array.from({ length: 60 }, (_, i) => String(100 + i));
    for (const id of ids) {
      await store.accounts.createUser({
        id,
        username: `u${id}`,
        passwordHash: "h",
        nickname: id,
        createdAt: 5,
      });
    }
    await store.groups.create(
      { id: "900", name: "big", avatarMediaId: null, ownerId: ids[0], createdAt: 5 },
      ids,
    );
    const started = performance.now();
    // 60 come online, then 40 of them go: 100 changes, 20 online at the end.
    for (const [i, id] of ids.entries()) {
      await presence.connect(id, "s1", `c${i}`);
      await statusQueue.push({ userId: id, online: true, at: i });
    }
    for (const [i, id] of ids.slice(0, 40).entries()) {
      await presence.disconnect(id, "s1", `c${i}`);
      await statusQueue.push({ userId: id, online: false, at: 100 + i });
    }
    const seen = () => counts(server.pushes.flat());
    for (let i = 0; i < 300 && seen().at(-1) !== "900: 20"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(performance.now() - started < 1000 + 500, "the changes took less than a window");
    // Let another window pass: nothing more comes.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.ok(seen().length <= 2, `${seen().length} counts: ${seen().join(", ")}`);
    assert.equal(seen().at(-1), "900: 20");
    assert.deepEqual(errors, []);
  } finally {
    await task.close();
    await store.close();
  }
});
