/**
 * The HA infrastructure of `deno task infra:up --ha` (scripts/infra/ha.sh) behaves as the fault
 * tests rely on: each engine goes on working through the crash (kill -9) of one member, and the
 * member started again on its data rejoins. Runs when IM_HA_TESTS=1, against the HA infrastructure
 * that is up; each test leaves every member running again.
 */
import { Etcd3 } from "etcd3";
import { Cluster, Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import postgres from "postgres";
import { assert, assertEquals } from "./assert.ts";
import { eventually } from "./harness.ts";
import { haTestsEnabled, INFRA, infraScript, uniqueSuffix } from "./infra.ts";

const ignore = !haTestsEnabled();

/** `scripts/infra.sh ARGS` and what it printed; throws if it fails. */
async function infraOutput(...args: string[]): Promise<string> {
  const script = new URL("../scripts/infra.sh", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command("bash", { args: [script, ...args] })
    .output();
  if (code !== 0) {
    throw new Error(`infra.sh ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}

/** Whether `promise` settles fulfilled within `ms` (a call to a dead member may hang instead). */
async function succeedsWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  promise.catch(() => {}); // settled after the timeout: nobody is waiting for it any more
  try {
    return await Promise.race([promise.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

Deno.test({
  name:
    "HA PostgreSQL: the replica streams the primary's writes, and still does after the primary crashed",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const table = `ha_${uniqueSuffix()}`;
  const primary = postgres(`${INFRA.postgres}/im`, { max: 1, onnotice: () => {} });
  const replica = postgres(`${INFRA.postgresReplica}/im`, { max: 1, onnotice: () => {} });
  const rowsOnReplica = async () =>
    (await replica.unsafe(`SELECT id FROM ${table} ORDER BY id`)).map((row) => row.id);
  try {
    await primary.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    await primary.unsafe(`INSERT INTO ${table} VALUES (1)`);
    await eventually(async () => (await rowsOnReplica().catch(() => [])).length === 1);
    const readOnly = await replica.unsafe(`INSERT INTO ${table} VALUES (2)`).catch((e) => e);
    assertEquals(readOnly?.code, "25006", "the replica refuses writes (read_only_sql_transaction)");

    await infraScript("kill", "--ha", "postgres-primary");
    assertEquals(await rowsOnReplica(), [1], "the replica serves reads while the primary is down");
    await infraScript("start", "--ha");
    await primary.unsafe(`INSERT INTO ${table} VALUES (2)`);
    await eventually(async () => (await rowsOnReplica()).length === 2);
    assertEquals(await rowsOnReplica(), [1, 2]);
    await primary.unsafe(`DROP TABLE ${table}`);
  } finally {
    await primary.end();
    await replica.end();
  }
});

/** The member id of the etcd leader as the members that answer see it, and their ports by id. */
async function etcdLeader(): Promise<{ leader: string; ports: Map<string, number> }> {
  const ports = new Map<string, number>();
  const leaders = new Set<string>();
  for (const url of INFRA.etcd.split(",")) {
    const status = await fetch(`${url}/v3/maintenance/status`, { method: "POST", body: "{}" })
      .then((response) => response.json(), () => undefined);
    if (!status) continue; // a member that is down
    ports.set(status.header.member_id, portOf(url));
    leaders.add(status.leader);
  }
  assertEquals(leaders.size, 1, `the members agree on one leader: ${[...leaders]}`);
  return { leader: [...leaders][0], ports };
}

Deno.test({
  name:
    "HA etcd: puts and gets go on when the leader crashes, and it catches up when started again",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const prefix = `/ha-test/${uniqueSuffix()}/`;
  const client = new Etcd3({ hosts: INFRA.etcd.split(","), dialTimeout: 1000 });
  const { leader, ports } = await etcdLeader();
  const leaderPort = ports.get(leader);
  assert(leaderPort, `the leader ${leader} is one of the members ${[...ports.keys()]}`);
  const member = `etcd-${INFRA.etcd.split(",").map(portOf).indexOf(leaderPort) + 1}`;
  try {
    await client.put(`${prefix}before`).value("1");
    const killedAt = Date.now();
    await infraScript("kill", "--ha", member);
    await eventually(
      () => succeedsWithin(client.put(`${prefix}after`).value("2").exec(), 2000),
      20_000,
    );
    console.log(`etcd: a put succeeded ${Date.now() - killedAt} ms after the leader was killed`);
    assertEquals(await client.get(`${prefix}before`).string(), "1");
    const { leader: newLeader, ports: alive } = await etcdLeader();
    assertEquals(alive.size, 2);
    assert(alive.has(newLeader), "one of the two members alive leads");

    await infraScript("start", "--ha");
    const rejoined = new Etcd3({ hosts: [`http://127.0.0.1:${leaderPort}`] });
    try {
      assertEquals(
        await rejoined.get(`${prefix}after`).string(),
        "2",
        "the restarted member has it",
      );
    } finally {
      rejoined.close();
    }
    await client.delete().prefix(prefix);
  } finally {
    client.close();
  }
});

/** The ports of the Redis masters now, as `infra.sh members --ha redis` says, in order. */
async function redisMasters(): Promise<number[]> {
  const lines = (await infraOutput("members", "--ha", "redis")).trim().split("\n");
  return lines.map(Number).sort();
}

/** The role of the Redis node on `port` as it says itself. */
async function redisRole(port: number): Promise<string> {
  const node = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await node.connect();
    return String((await node.role())[0]);
  } finally {
    node.disconnect();
  }
}

Deno.test({
  name:
    "HA Redis: when a master crashes its replica takes over with the data, and the old master " +
    "comes back as a replica",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const prefix = `ha:${uniqueSuffix()}:`;
  const ports = INFRA.redis.split(",").map(portOf);
  const cluster = new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })), {
    redisOptions: { connectTimeout: 1000, maxRetriesPerRequest: 1 },
    slotsRefreshTimeout: 1000,
  });
  try {
    const keys = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`);
    await Promise.all(keys.map((key) => cluster.set(key, key)));
    const masters = cluster.nodes("master");
    assertEquals(masters.length, 3);
    // WAIT on the connections that made the writes: each master's replica has them all.
    for (const master of masters) assertEquals(await master.wait(1, 2000), 1);
    const owners = await Promise.all(keys.map(async (key) => {
      const slot = Number(await cluster.call("CLUSTER", "KEYSLOT", key));
      return portOf(`redis://${cluster.slots[slot][0]}`);
    }));
    assertEquals(new Set(owners).size, 3, "the keys are spread over the three masters");
    const before = await redisMasters();
    const victim = owners[0];
    assert(before.includes(victim), `${victim} is one of the masters ${before}`);

    const killedAt = Date.now();
    await infraScript("kill", "--ha", `redis-${ports.indexOf(victim) + 1}`);
    const promoted = await eventually(async () => {
      const now = await redisMasters();
      return now.length === 3 ? now.find((port) => !before.includes(port)) : undefined;
    }, 20_000);
    const failoverMs = Date.now() - killedAt;
    await eventually(() => succeedsWithin(cluster.set(`${prefix}after`, "1"), 1000), 10_000);
    console.log(
      `redis: replica ${promoted} became master ${failoverMs} ms after master ${victim} was ` +
        `killed; the client wrote again after ${Date.now() - killedAt} ms`,
    );
    for (const [i, key] of keys.entries()) {
      if (owners[i] === victim) assertEquals(await cluster.get(key), key, "replicated before");
    }

    await infraScript("start", "--ha");
    assertEquals(await redisRole(victim), "slave", "the old master rejoined as a replica");
    assertEquals(
      await redisMasters(),
      before.map((port) => port === victim ? promoted : port).sort(),
    );
    await Promise.all([...keys, `${prefix}after`].map((key) => cluster.del(key)));
  } finally {
    cluster.disconnect();
  }
});

Deno.test({
  name:
    "HA Kafka: acks=all produces go on when a broker crashes (RF 3, min ISR 2), and the broker " +
    "catches up when started again",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const topic = `ha.${uniqueSuffix()}`;
  const kafka = new Kafka({
    clientId: topic,
    brokers: INFRA.kafka.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: topic });
  const partitions = [0, 1, 2];
  const isr = async () =>
    (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions
      .sort((a, b) => a.partitionId - b.partitionId);
  try {
    await admin.connect();
    // Not waitForLeaders: kafkajs then asks one broker for the topic right away and gives up if
    // that broker has not applied the controller's record yet ("This server does not host this
    // topic-partition"); with three brokers that happens about every other time.
    await admin.createTopics({
      waitForLeaders: false,
      topics: [{
        topic,
        numPartitions: partitions.length,
        replicationFactor: 3,
        configEntries: [{ name: "min.insync.replicas", value: "2" }],
      }],
    });
    await eventually(async () => {
      const known = await isr().catch(() => []);
      return known.length === partitions.length && known.every((p) => p.isr.length === 3);
    });
    await producer.connect();
    const send = (value: string) =>
      Promise.all(
        partitions.map((partition) =>
          producer.send({ topic, acks: -1, messages: [{ partition, value }] })
        ),
      );
    await send("before");
    // The broker that leads partition 0: its partitions need a new leader, the others lose a
    // follower from their in-sync replicas.
    const leader = (await isr())[0].leader;
    const killedAt = Date.now();
    await infraScript("kill", "--ha", `kafka-${leader}`);
    await send("after");
    console.log(
      `kafka: acks=all produced to every partition ${Date.now() - killedAt} ms after ` +
        `broker ${leader} was killed`,
    );
    for (const partition of await isr()) {
      assert(partition.leader !== leader, `partition ${partition.partitionId} has a live leader`);
      assertEquals(partition.isr.length, 2, `partition ${partition.partitionId}: ${partition.isr}`);
    }

    await infraScript("start", "--ha");
    await eventually(
      async () => (await isr()).every((partition) => partition.isr.length === 3),
      30_000,
    );
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        received.push(`${partition}:${message.value}`);
        return Promise.resolve();
      },
    });
    await eventually(() => received.length === 6, 30_000);
    assertEquals(
      received.sort(),
      partitions.flatMap((partition) => [`${partition}:after`, `${partition}:before`]),
    );
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
});
