/** The contract suite of the Dedupe port. */
import { assert, assertEquals } from "../../tests/assert.ts";
import type { Dedupe } from "./mod.ts";

/** A dedupe under test and a way to let time pass: a fake clock, or real time on an engine. */
export interface OpenedDedupe {
  dedupe: Dedupe;
  advance(ms: number): Promise<void>;
}

/** Runs the Dedupe contract against instances made by `open`. */
export function testDedupe(
  name: string,
  open: () => Promise<OpenedDedupe>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test(
    { name: `${name}: keys hold their value until their time to live`, ignore },
    async () => {
      const { dedupe, advance } = await open();
      const key = crypto.randomUUID();
      assertEquals(await dedupe.get(key), null);
      await dedupe.set(key, "first", 150);
      await dedupe.set(`${key}-long`, "kept", 60_000);
      assertEquals(await dedupe.get(key), "first");
      await advance(250);
      assertEquals(await dedupe.get(key), null);
      assertEquals(await dedupe.get(`${key}-long`), "kept");
      await dedupe.close();
    },
  );

  Deno.test(
    { name: `${name}: of concurrent claims of one key exactly one wins`, ignore },
    async () => {
      const { dedupe } = await open();
      const key = crypto.randomUUID();
      const values = ["a", "b", "c", "d"];
      const results = await Promise.all(values.map((v) => dedupe.claim(key, v, 60_000)));
      assertEquals(results.filter((r) => r === null).length, 1);
      const winner = values[results.indexOf(null)];
      assertEquals(results.filter((r) => r !== null), Array(3).fill(winner));
      assertEquals(await dedupe.get(key), winner);
      await dedupe.close();
    },
  );

  Deno.test(
    { name: `${name}: release() deletes a key holding its value, and no other`, ignore },
    async () => {
      const { dedupe } = await open();
      const [mine, theirs] = [crypto.randomUUID(), crypto.randomUUID()];
      await dedupe.claim(mine, "me", 60_000);
      await dedupe.claim(theirs, "them", 60_000);
      await dedupe.release(mine, "me");
      await dedupe.release(theirs, "me");
      assertEquals([await dedupe.get(mine), await dedupe.get(theirs)], [null, "them"]);
      assertEquals(await dedupe.claim(mine, "again", 60_000), null, "claimed anew");
      await dedupe.close();
    },
  );

  Deno.test(
    { name: `${name}: a key set after heldSince() is held`, ignore },
    async () => {
      const { dedupe, advance } = await open();
      await advance(1);
      const since = dedupe.heldSince();
      const key = crypto.randomUUID();
      await dedupe.set(key, "v", 60_000);
      if (since <= Date.now()) assertEquals(await dedupe.get(key), "v");
      assert(!Number.isNaN(since));
      await dedupe.close();
    },
  );
}
