/** groupChanges(): one change of a group at a time, within an instance and between instances. */
import { assertEquals } from "../tests/assert.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import type { Context } from "./context.ts";
import { groupChanges } from "./group_lock.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A change that records when it starts and ends. */
function change(log: string[], name: string, ms: number, fail = false) {
  return async () => {
    log.push(`${name} starts`);
    await pause(ms);
    log.push(`${name} ends`);
    if (fail) throw new Error(name);
    return name;
  };
}

Deno.test("groupChanges: changes of one group run one after another, in order, even past a failure", async () => {
  const dedupe = new MemoryDedupe();
  const serialized = groupChanges({ dedupe } as unknown as Context);
  const log: string[] = [];
  const results = await Promise.allSettled([
    serialized("g1", change(log, "a", 20)),
    serialized("g1", change(log, "b", 5, true)),
    serialized("g1", change(log, "c", 1)),
  ]);
  assertEquals(log, ["a starts", "a ends", "b starts", "b ends", "c starts", "c ends"]);
  assertEquals(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  await dedupe.close();
});

Deno.test("groupChanges: two groups change at once", async () => {
  const dedupe = new MemoryDedupe();
  const serialized = groupChanges({ dedupe } as unknown as Context);
  const log: string[] = [];
  await Promise.all([
    serialized("g1", change(log, "a", 20)),
    serialized("g2", change(log, "b", 1)),
  ]);
  assertEquals(log, ["a starts", "b starts", "b ends", "a ends"]);
  await dedupe.close();
});

Deno.test("groupChanges: another instance's change of the group is waited for (shared dedupe)", async () => {
  const dedupe = new MemoryDedupe();
  const [one, two] = [
    groupChanges({ dedupe } as unknown as Context),
    groupChanges({
      dedupe,
    } as unknown as Context),
  ];
  const log: string[] = [];
  const first = one("g1", change(log, "a", 30));
  await pause(5);
  await Promise.all([first, two("g1", change(log, "b", 1))]);
  assertEquals(log, ["a starts", "a ends", "b starts", "b ends"]);
  await dedupe.close();
});
