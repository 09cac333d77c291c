/** The registry contract on etcd, plus lease expiry (`deno task infra:up`; IM_CLUSTER_TESTS=1). */
import { assertEquals } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import { clusterTestsEnabled, INFRA } from "../../tests/infra.ts";
import { testRegistry } from "./_contract.ts";
import { EtcdRegistry } from "./etcd.ts";

const ignore = !clusterTestsEnabled();
const open = (namespace: string) =>
  EtcdRegistry.open({
    endpoints: [INFRA.etcd],
    prefix: `/test/${namespace}/`,
    ttlSeconds: 2,
    onError: () => {},
  });

testRegistry("EtcdRegistry", open, { ignore });

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
