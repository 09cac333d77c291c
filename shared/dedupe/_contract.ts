/** The contract suite of the Dedupe port. */
import { assertEquals } from "../../tests/assert.ts";
import type { Dedupe } from "./mod.ts";

/** Runs the Dedupe contract against instances made by `open`. */
export function testDedupe(
  name: string,
  open: () => Promise<Dedupe>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test(
    { name: `${name}: keys hold their value until their time to live`, ignore },
    async () => {
      const dedupe = await open();
      const key = crypto.randomUUID();
      assertEquals(await dedupe.get(key), null);
      await dedupe.set(key, "first", 150);
      await dedupe.set(`${key}-long`, "kept", 60_000);
      assertEquals(await dedupe.get(key), "first");
      await new Promise((resolve) => setTimeout(resolve, 250));
      assertEquals(await dedupe.get(key), null);
      assertEquals(await dedupe.get(`${key}-long`), "kept");
      await dedupe.close();
    },
  );

  Deno.test(
    { name: `${name}: of concurrent claims of one key exactly one wins`, ignore },
    async () => {
      const dedupe = await open();
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
}
