/** task's presence events leave out the friends the user blocked (PROTOCOL.md, Blocking). */
import assert from "node:assert/strict";
import { MemoryLog } from "../shared/message_log/memory.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { MemoryPresenceNotices } from "../shared/presence_notices/memory.ts";
import { MemoryStatusQueue } from "../shared/queue/memory.ts";
import { openSqliteStore } from "../shared/store/sqlite.ts";
import { createTask } from "./mod.ts";
import { RecordingConnect } from "./_recording_connect.ts";

/** A connect server that records what it is pushed. */

Deno.test("task sends a user's presence to their friends, less those the user blocked", async () => {
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
    // What is tested is who is told; the grace before an offline is `presence_announce_test.ts`'s.
    presenceGraceMs: 0,
    connects: { connectServers: () => ["s1"], connect: (id) => id === "s1" ? server : undefined },
    onError: (_error, context) => errors.push(context),
  });
  try {
    // 1 changes state; 2 and 3 are 1's friends, online on s1; 1 blocked 2.
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
    await store.friends.add("1", "3", 7);
    await presence.connect("2", "s1", "b");
    await presence.connect("3", "s1", "c");
    await store.blocks.block("1", "2", 8);

    /** The recipients of each presence event pushed so far, as `online: userIds`. */
    const told = () =>
      server.pushes.flat().flatMap((item) => {
        const frame = JSON.parse(item.frame);
        return frame.op === "presence" && "userIds" in item
          ? [`${frame.online}: ${item.userIds.join()}`]
          : [];
      });
    const settled = async (count: number) => {
      for (let i = 0; i < 500 && told().length < count; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    await presence.connect("1", "s1", "a");
    await statusQueue.push({ userId: "1", online: true, at: 10 });
    await settled(1);
    assert.deepEqual(told(), ["true: 3"]);

    // Unblocked: the next change reaches both friends again.
    await store.blocks.unblock("1", "2");
    await presence.disconnect("1", "s1", "a");
    await statusQueue.push({ userId: "1", online: false, at: 20 });
    await settled(2);
    assert.deepEqual(told(), ["true: 3", "false: 2,3"]);
    assert.deepEqual(errors, []);
  } finally {
    await task.close();
    await store.close();
  }
});
