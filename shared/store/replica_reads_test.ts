import { assertEquals } from "../../tests/assert.ts";
import { type ReplicaPositions, ReplicaReads } from "./replica_reads.ts";

/** Engines whose primary is at `primary` and replica at `replica` (plain numbers as positions). */
function engines(state: { primary: number; replica: number; fail?: boolean }) {
  const calls = { positions: 0, checks: 0 };
  const waiting: (() => void)[] = [];
  const api: ReplicaPositions & { calls: typeof calls; release(): void; hold: boolean } = {
    calls,
    hold: false,
    async primaryPosition() {
      calls.positions++;
      const at = state.primary; // read when the fetch begins, as pg_current_wal_lsn() is
      if (api.hold) await new Promise<void>((resolve) => waiting.push(resolve));
      return String(at);
    },
    replicaReached(position) {
      calls.checks++;
      if (state.fail) return Promise.reject(new Error("replica down"));
      return Promise.resolve(state.replica >= Number(position));
    },
    release() {
      api.hold = false;
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
  return api;
}

const read = (router: ReplicaReads) =>
  router.read(() => Promise.resolve("replica"), () => Promise.resolve("primary"));

Deno.test("a read goes to the replica only once it replayed what the primary had", async () => {
  const state = { primary: 10, replica: 10 };
  const router = new ReplicaReads(engines(state), { maxWaitMs: 5 });
  assertEquals(await read(router), "replica");
  state.primary = 11; // committed on the primary, not yet replayed
  assertEquals(await read(router), "primary");
});

Deno.test("a read waits a moment for a replica that is about to catch up", async () => {
  const state = { primary: 12, replica: 11 };
  const router = new ReplicaReads(engines(state), { maxWaitMs: 200 });
  setTimeout(() => state.replica = 12, 10);
  assertEquals(await read(router), "replica");
});

Deno.test("reads that arrive during a position fetch share the next one, begun after them", async () => {
  const state = { primary: 5, replica: 5 };
  const e = engines(state);
  const router = new ReplicaReads(e, { maxWaitMs: 5 });
  e.hold = true;
  const first = read(router); // fetch 1 begins at position 5
  await Promise.resolve();
  state.primary = 6; // a commit after fetch 1 began: the later reads must see it
  const later = [read(router), read(router), read(router)];
  e.release();
  assertEquals(await first, "replica");
  // Fetch 2 saw position 6, which the replica has not replayed: all three go to the primary.
  assertEquals(await Promise.all(later), ["primary", "primary", "primary"]);
  assertEquals(e.calls.positions, 2);
});

Deno.test("a failing replica rests, and reads go to the primary meanwhile", async () => {
  const state = { primary: 1, replica: 1, fail: true };
  let now = 0;
  const e = engines(state);
  const errors: unknown[] = [];
  const router = new ReplicaReads(e, {
    restMs: 1000,
    now: () => now,
    onError: (error) => errors.push(error),
  });
  assertEquals(await read(router), "primary");
  state.fail = false;
  const checks = e.calls.checks;
  assertEquals(await read(router), "primary"); // resting: not even asked
  assertEquals(e.calls.checks, checks);
  now = 1001;
  assertEquals(await read(router), "replica");
  assertEquals(errors.length, 1);
});

Deno.test("a replica read that fails is answered by the primary", async () => {
  const router = new ReplicaReads(engines({ primary: 1, replica: 1 }));
  const answer = await router.read(
    () => Promise.reject(new Error("connection reset")),
    () => Promise.resolve("primary"),
  );
  assertEquals(answer, "primary");
});
