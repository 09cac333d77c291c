/** The contract suite of the StatusQueue port, run once per implementation. */
import { assertEquals } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import type { StatusChange, StatusQueue } from "./mod.ts";

/** Runs the StatusQueue contract against queues made by `open` (the same `key` gives the same queue). */
export function testStatusQueue(
  name: string,
  open: (key: string) => Promise<StatusQueue>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test(
    { name: `${name}: changes are consumed in push order, a failing one again`, ignore },
    async () => {
      const key = crypto.randomUUID();
      const queue = await open(key);
      const seen: string[] = [];
      let failed = false;
      queue.consume((change) => {
        if (change.userId === "2" && !failed) {
          failed = true;
          return Promise.reject(new Error("boom"));
        }
        seen.push(`${change.userId}:${change.online}`);
        return Promise.resolve();
      });
      for (const [userId, online] of [["1", true], ["2", true], ["1", false]] as const) {
        await queue.push({ userId, online, at: 1 } satisfies StatusChange);
      }
      await eventually(() => seen.length === 3);
      assertEquals(seen, ["1:true", "2:true", "1:false"]);
      await queue.close();
    },
  );
}
