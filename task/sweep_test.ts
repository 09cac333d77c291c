import assert from "node:assert/strict";
import { MemoryPresence } from "../shared/presence/memory.ts";
import type { StatusChange, StatusQueue } from "../shared/queue/mod.ts";
import { routeSweep } from "./sweep.ts";

/** A status queue that only records what is pushed. */
class RecordingQueue implements StatusQueue {
  readonly pushed: StatusChange[] = [];
  push(change: StatusChange): Promise<void> {
    this.pushed.push(change);
    return Promise.resolve();
  }
  consume(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function setUp(registered: string[]) {
  const presence = new MemoryPresence();
  const statusQueue = new RecordingQueue();
  const live = new Set(registered);
  const sweep = routeSweep({
    presence,
    statusQueue,
    connects: { connectServers: () => [...live] },
  });
  await presence.connect("alice", "live", "c1");
  await presence.connect("bob", "dead", "c2");
  await presence.connect("carol", "dead", "c3");
  await presence.connect("carol", "live", "c4");
  return { presence, statusQueue, live, sweep };
}

Deno.test("routeSweep() drops a server absent in two sweeps in a row, and announces who went offline", async () => {
  const { presence, statusQueue, sweep } = await setUp(["live"]);
  assert.deepEqual(await sweep(), [], "the first sweep only suspects");
  assert.equal(statusQueue.pushed.length, 0);
  assert.deepEqual(await sweep(), ["dead"]);
  assert.deepEqual(statusQueue.pushed.map((c) => [c.userId, c.online]), [["bob", false]]);
  assert.deepEqual([...await presence.online(["alice", "bob", "carol"])].sort(), [
    "alice",
    "carol",
  ]);
  assert.deepEqual(await sweep(), [], "nothing is left to drop");
});

Deno.test("routeSweep() spares a server that registers between two sweeps", async () => {
  const { live, statusQueue, sweep } = await setUp(["live"]);
  await sweep();
  live.add("dead");
  assert.deepEqual(await sweep(), []);
  live.delete("dead");
  assert.deepEqual(await sweep(), [], "absent again: a suspect anew, not yet dropped");
  assert.equal(statusQueue.pushed.length, 0);
});
