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
}
