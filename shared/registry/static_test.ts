import { testRegistry } from "./_contract.ts";
import type { Registry } from "./mod.ts";
import { StaticRegistry } from "./static.ts";

const shared = new Map<string, StaticRegistry>();

testRegistry("StaticRegistry", (namespace) => {
  // In one process every caller shares one registry; closing a view closes nothing shared.
  let registry = shared.get(namespace);
  if (!registry) shared.set(namespace, registry = new StaticRegistry());
  const view: Registry = {
    register: (i) => registry.register(i),
    instances: (l) => registry.instances(l),
    watch: (l, f) => registry.watch(l, f),
    claimWorkerId: (() => {
      let mine: Promise<number> | null = null;
      return () => (mine ??= registry.claimWorkerId());
    })(),
    watchWorkerId: (f) => registry.watchWorkerId(f),
    watchReRegistered: (f) => registry.watchReRegistered(f),
    ping: () => registry.ping(),
    close: () => Promise.resolve(),
  };
  return Promise.resolve(view);
});
