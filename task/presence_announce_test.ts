/** Presence to friends: an offline waits its grace, a reconnect within it tells nothing. */
import assert from "node:assert/strict";
import { MemoryLog } from "../shared/message_log/memory.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { MemoryPresenceNotices } from "../shared/presence_notices/memory.ts";
import { MemoryStatusQueue } from "../shared/queue/memory.ts";
import type { PushItem } from "../shared/rpc/connect.ts";
import { openSqliteStore } from "../shared/store/sqlite.ts";
import type { Outgoing } from "./deliver.ts";
import { createTask } from "./mod.ts";
import { PresenceAnnouncer } from "./presence_announce.ts";
import { RecordingConnect } from "./_recording_connect.ts";

/** The presence frames of pushed items, as `userId online|offline@lastSeenAt -> recipients`. */
function told(items: readonly (Outgoing | PushItem)[]): string[] {
  return items.flatMap((item) => {
    const frame = JSON.parse(item.frame);
    if (frame.op !== "presence") return [];
    const state = frame.online ? "online" : `offline@${frame.lastSeenAt}`;
    return [`${frame.userId} ${state} -> ${"userIds" in item ? item.userIds.join() : "?"}`];
  });
}

/** Two task processes' announcers over one shared presence and notices, on a fake clock. */
function world(graceMs: number) {
  const presence = new MemoryPresence();
  const notices = new MemoryPresenceNotices();
  const sent: Outgoing[] = [];
  const clock = { now: 0 };
  const store = {
    friends: { idsOf: (userId: string) => Promise.resolve(userId === "1" ? ["2", "3"] : []) },
    blocks: { blockedBy: () => Promise.resolve([]) },
  };
  const [a, b] = [0, 1].map(() =>
    new PresenceAnnouncer({
      notices,
      presence,
      store,
      send: (items) => Promise.resolve(void sent.push(...items)),
      graceMs,
      leaseMs: 10_000,
      now: () => clock.now,
    })
  );
  return { presence, sent, clock, a, b };
}

Deno.test("PresenceAnnouncer tells nothing of an offline followed by an online within the grace", async () => {
  const { presence, sent, clock, a, b } = world(3000);
  await presence.connect("1", "s1", "c1");
  await a.changed({ userId: "1", online: true, at: 0 });
  assert.deepEqual(told(sent), ["1 online -> 2,3"]);

  clock.now = 1000;
  await presence.disconnect("1", "s1", "c1");
  await a.changed({ userId: "1", online: false, at: 1000 });
  clock.now = 3900;
  await presence.connect("1", "s2", "c2");
  await b.changed({ userId: "1", online: true, at: 3900 });
  for (const now of [4000, 5000, 20_000]) {
    clock.now = now;
    await Promise.all([a.flush(), b.flush()]);
  }
  assert.deepEqual(told(sent), ["1 online -> 2,3"], "the friends heard of neither");
});

Deno.test("PresenceAnnouncer tells an offline that stands once, after the grace, with when it was", async () => {
  const { presence, sent, clock, a, b } = world(3000);
  await presence.connect("1", "s1", "c1");
  await a.changed({ userId: "1", online: true, at: 0 });
  clock.now = 1000;
  await presence.disconnect("1", "s1", "c1");
  await a.changed({ userId: "1", online: false, at: 1000 });
  clock.now = 3999;
  await Promise.all([a.flush(), b.flush()]);
  assert.deepEqual(told(sent), ["1 online -> 2,3"], "not before the grace ends");
  // The process that recorded it does not poll: the other one tells it.
  clock.now = 4000;
  await b.flush();
  await a.flush();
  assert.deepEqual(told(sent), ["1 online -> 2,3", "1 offline@1000 -> 2,3"]);
  clock.now = 60_000;
  await Promise.all([a.flush(), b.flush()]);
  assert.equal(told(sent).length, 2, "told once");
  // Back after the offline was told: that is news.
  await presence.connect("1", "s1", "c3");
  await b.changed({ userId: "1", online: true, at: 60_000 });
  assert.deepEqual(told(sent).at(-1), "1 online -> 2,3");
});

Deno.test("PresenceAnnouncer keeps quiet when the user is back before their online change is handled", async () => {
  const { presence, sent, clock, a } = world(3000);
  await presence.connect("1", "s1", "c1");
  await a.changed({ userId: "1", online: true, at: 0 });
  await presence.disconnect("1", "s1", "c1");
  await a.changed({ userId: "1", online: false, at: 0 });
  await presence.connect("1", "s1", "c2");
  clock.now = 3000;
  await a.flush();
  await a.changed({ userId: "1", online: true, at: 2900 });
  assert.deepEqual(told(sent), ["1 online -> 2,3"]);
});

Deno.test("PresenceAnnouncer with no grace tells an offline at once", async () => {
  const { presence, sent, a } = world(0);
  await presence.connect("1", "s1", "c1");
  await a.changed({ userId: "1", online: true, at: 0 });
  await presence.disconnect("1", "s1", "c1");
  await a.changed({ userId: "1", online: false, at: 5 });
  assert.deepEqual(told(sent), ["1 online -> 2,3", "1 offline@5 -> 2,3"]);
});

/** A connect server that records what it is pushed. */

Deno.test("task does not hold the status queue for the grace, and tells the offline that stands after it", async () => {
  const store = await openSqliteStore({ dataDir: "memory://" });
  const presence = new MemoryPresence();
  const statusQueue = new MemoryStatusQueue();
  const server = new RecordingConnect();
  const task = createTask({
    log: new MemoryLog(),
    statusQueue,
    store,
    presence,
    notices: new MemoryPresenceNotices(),
    presenceGraceMs: 300,
    noticePollMs: 10,
    connects: { connectServers: () => ["s1"], connect: () => server },
  });
  try {
    for (const id of ["1", "2", "3"]) {
      await store.accounts.createUser({
        id,
        username: `u${id}`,
        passwordHash: "h",
        nickname: id,
        createdAt: 5,
      });
    }
    await store.friends.add("1", "2", 6);
    await store.friends.add("3", "2", 6);
    await presence.connect("2", "s1", "friend");
    const seen = () => told(server.pushes.flat());
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 300 && !done(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await presence.connect("1", "s1", "a");
    await statusQueue.push({ userId: "1", online: true, at: 10 });
    await presence.connect("3", "s1", "c");
    await statusQueue.push({ userId: "3", online: true, at: 10 });
    await until(() => seen().length === 2);
    // 1 flaps; 3 goes offline in between: the queue goes on to the next change at once.
    const started = performance.now();
    await presence.disconnect("1", "s1", "a");
    await statusQueue.push({ userId: "1", online: false, at: 20 });
    await presence.disconnect("3", "s1", "c");
    await statusQueue.push({ userId: "3", online: false, at: 25 });
    await presence.connect("1", "s1", "b");
    await statusQueue.push({ userId: "1", online: true, at: 30 });
    // 3's offline comes after 1's in the queue; its lastSeenAt is recorded as it is handled.
    for (let i = 0; i < 300 && (await store.accounts.lastSeen(["3"])).get("3") !== 25; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(
      performance.now() - started < 300,
      "1's offline did not hold the queue for the grace",
    );
    assert.equal(seen().length, 2);
    await until(() => seen().length === 3);
    assert.ok(performance.now() - started >= 300, "not before the grace");
    assert.deepEqual(seen(), ["1 online -> 2", "3 online -> 2", "3 offline@25 -> 2"]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(seen().length, 3, "nothing of 1's flap, ever");
    assert.deepEqual(await store.accounts.lastSeen(["1", "3"]), new Map([["1", 20], ["3", 25]]));
  } finally {
    await task.close();
    await store.close();
  }
});

Deno.test("PresenceAnnouncer tells an online again when telling it failed the first time", async () => {
  const presence = new MemoryPresence();
  const notices = new MemoryPresenceNotices();
  const sent: Outgoing[] = [];
  let failing = true;
  const announcer = new PresenceAnnouncer({
    notices,
    presence,
    store: {
      friends: { idsOf: () => Promise.resolve(["2"]) },
      blocks: { blockedBy: () => Promise.resolve([]) },
    },
    send: (items) =>
      failing
        ? Promise.reject(new Error("store restarting"))
        : Promise.resolve(void sent.push(...items)),
    graceMs: 3000,
  });
  await presence.connect("1", "s1", "c1");
  const change = { userId: "1", online: true, at: 0 };
  await assert.rejects(announcer.changed(change));
  failing = false;
  await announcer.changed(change); // the status queue tries the change again
  assert.deepEqual(told(sent), ["1 online -> 2"]);
});
