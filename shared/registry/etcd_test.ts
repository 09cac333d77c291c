/** The registry contract on etcd, plus lease expiry (`deno task infra:up`; IM_CLUSTER_TESTS=1). */
import { Etcd3 } from "etcd3";
import { assert, assertEquals } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import { clusterTestsEnabled, INFRA } from "../../tests/infra.ts";
import { testRegistry } from "./_contract.ts";
import { EtcdRegistry, WatchBackoff } from "./etcd.ts";

const ignore = !clusterTestsEnabled();
const open = (namespace: string) =>
  EtcdRegistry.open({
    endpoints: INFRA.etcd.split(","),
    prefix: `/test/${namespace}/`,
    ttlSeconds: 2,
    onError: (e) => Deno.env.get("DEBUG_ETCD") && console.error("onError", e),
  });

testRegistry("EtcdRegistry", open, { ignore });

Deno.test("WatchBackoff: the watch reconnects after 50–100 ms, then twice that each time, at most 2 s", () => {
  // etcd3 waits the `next()` of the backoff it is given first, and of each after it.
  let backoff = new WatchBackoff().next();
  const bases = [100, 200, 400, 800, 1600, 2000, 2000];
  for (const base of bases) {
    assert(
      backoff.duration >= base / 2 && backoff.duration <= base,
      `${backoff.duration} of ${base}`,
    );
    backoff = backoff.next();
  }
});

Deno.test(
  { name: "EtcdRegistry is given every endpoint: members that are down around a live one", ignore },
  async () => {
    // Nothing listens on ports 1 and 2: only a client given the whole list finds the live member.
    const registry = await EtcdRegistry.open({
      endpoints: ["http://127.0.0.1:1", ...INFRA.etcd.split(","), "http://127.0.0.1:2"],
      prefix: `/test/${crypto.randomUUID()}/`,
      ttlSeconds: 2,
      onError: () => {},
    });
    try {
      await registry.register({ layer: "logic", id: "l1", grpc: "127.0.0.1:1" });
      await eventually(() => registry.instances("logic").length === 1);
      for (let i = 0; i < 10; i++) await registry.ping();
    } finally {
      await registry.close();
    }
  },
);

Deno.test(
  { name: "EtcdRegistry: an instance that closes disappears for the others", ignore },
  async () => {
    const namespace = crypto.randomUUID();
    const a = await open(namespace);
    const b = await open(namespace);
    await a.register({ layer: "logic", id: "l1", grpc: "127.0.0.1:1" });
    await eventually(() => b.instances("logic").length === 1);
    await a.close();
    await eventually(() => b.instances("logic").length === 0, 5000);
    assertEquals(b.instances("logic"), []);
    await b.close();
  },
);

Deno.test(
  {
    name: "EtcdRegistry: after a lost lease whose worker id was taken, it holds another one",
    ignore,
  },
  async () => {
    const namespace = crypto.randomUUID();
    const prefix = `/test/${namespace}/`;
    const registry = await open(namespace);
    const seen: (number | null)[] = [];
    registry.watchWorkerId((id) => seen.push(id));
    const service = { layer: "logic" as const, id: "l1", grpc: "127.0.0.1:1" };
    await registry.register(service);
    let reRegistered = 0;
    registry.watchReRegistered(() => reRegistered++);
    const first = await registry.claimWorkerId();
    seen.splice(0);
    const key = `${prefix}workers/${first}`;

    // etcd revokes the lease (as on expiry) and another instance claims the id at once.
    const other = new Etcd3({ hosts: [INFRA.etcd] });
    const [kv] = (await other.get(key).exec()).kvs;
    await other.leaseClient.leaseRevoke({ ID: kv.lease });
    const thief = other.lease(10);
    const taken = await other.if(key, "Create", "==", 0)
      .then(other.put(key).value("thief").lease(await thief.grant()))
      .commit();
    assert(taken.succeeded);

    await eventually(() => seen.some((id) => id !== null), 10_000);
    assertEquals(seen[0], null, "minting stops before anything else");
    const now = await registry.claimWorkerId();
    assert(now !== first, `still on worker id ${first}, which another instance holds`);
    assertEquals(seen.at(-1), now);
    const [mine] = (await other.get(`${prefix}workers/${now}`).exec()).kvs;
    assert(mine !== undefined, "the new worker id is claimed in etcd");
    await eventually(() => reRegistered === 1);
    const again = await other.get(`${prefix}services/logic/l1`).string();
    assertEquals(again && JSON.parse(again), service, "registered again");

    await registry.close();
    await thief.revoke();
    other.close();
  },
);

Deno.test(
  {
    name: "EtcdRegistry: a registration whose lease expired just before is made on a new one",
    ignore,
  },
  async () => {
    const namespace = crypto.randomUUID();
    const prefix = `/test/${namespace}/`;
    const registry = await open(namespace);
    const first = { layer: "logic" as const, id: "l1", grpc: "127.0.0.1:1" };
    await registry.register(first);
    // etcd revokes the lease (as when a stalled process misses its TTL) before the next put.
    const other = new Etcd3({ hosts: INFRA.etcd.split(",") });
    const [kv] = (await other.get(`${prefix}services/logic/l1`).exec()).kvs;
    await other.leaseClient.leaseRevoke({ ID: kv.lease });
    const second = { layer: "logic" as const, id: "l2", grpc: "127.0.0.1:2" };
    await registry.register(second); // threw EtcdLeaseInvalidError before
    for (const service of [first, second]) {
      const stored = await other.get(`${prefix}services/logic/${service.id}`).string();
      assertEquals(stored && JSON.parse(stored), service, `${service.id} registered`);
    }
    await registry.close();
    other.close();
  },
);
