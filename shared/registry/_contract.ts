/** The contract suite of the Registry port. `open(namespace)` gives registries that see each other. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import type { Registry, ServiceInstance } from "./mod.ts";

/** Runs the Registry contract. */
export function testRegistry(
  name: string,
  open: (namespace: string) => Promise<Registry>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test(
    { name: `${name}: registered instances are listed and watched, per layer`, ignore },
    async () => {
      const namespace = crypto.randomUUID();
      const a = await open(namespace);
      const b = await open(namespace);
      const seen: ServiceInstance[][] = [];
      const stop = b.watch("connect", (list) => seen.push(list));
      const connect = {
        layer: "connect" as const,
        id: "c1",
        grpc: "127.0.0.1:1",
        url: "ws://127.0.0.1:2/ws",
      };
      await a.register(connect);
      await a.register({ layer: "logic", id: "l1", grpc: "127.0.0.1:3" });
      await eventually(() =>
        b.instances("connect").length === 1 && b.instances("logic").length === 1
      );
      assertEquals(b.instances("connect"), [connect]);
      await eventually(() => seen.length > 0);
      assertEquals(seen[seen.length - 1], [connect]);
      await a.ping();
      stop();
      await a.close();
      await b.close();
    },
  );

  Deno.test({ name: `${name}: worker ids are unique among live instances`, ignore }, async () => {
    const namespace = crypto.randomUUID();
    const registries = await Promise.all([open(namespace), open(namespace), open(namespace)]);
    const ids = await Promise.all(registries.map((r) => r.claimWorkerId()));
    assertEquals(new Set(ids).size, 3);
    for (const id of ids) assert(id >= 0 && id <= 1023);
    assertEquals(await registries[0].claimWorkerId(), ids[0], "an instance keeps its id");
    await Promise.all(registries.map((r) => r.close()));
  });
}
