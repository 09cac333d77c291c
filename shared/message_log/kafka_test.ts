/**
 * The message log on Kafka: the record ↔ message mapping (always), and the contract, the trace
 * header, `ping()` and the lag on a real broker (`deno task infra:up`; runs when IM_CLUSTER_TESTS=1).
 */
import { Buffer } from "node:buffer";
import { ConfigResourceTypes, Kafka } from "kafkajs";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../../tests/infra.ts";
import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import { consumerLag } from "../metrics.ts";
import type { AcceptedMessage } from "../types.ts";
import { testMessageLog } from "./_contract.ts";
import {
  fromMessage,
  KafkaLog,
  type KafkaLogOptions,
  produceChunks,
  toMessage,
  topicSpec,
} from "./kafka.ts";
import type { LogRecord } from "./mod.ts";

const ignore = !clusterTestsEnabled();
/** The brokers of the infrastructure (the HA one lists three). */
const BROKERS = INFRA.kafka.split(",");
const TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function open(options: Partial<KafkaLogOptions> = {}): Promise<KafkaLog> {
  const suffix = uniqueSuffix();
  return KafkaLog.open({
    brokers: BROKERS,
    topic: `test.${suffix}`,
    partitions: 3,
    clientId: `test-${suffix}`,
    groupId: `test-${suffix}`,
    onError: () => {},
    ...options,
  });
}

function message(id: string): AcceptedMessage {
  return {
    id,
    conversationId: "u:1:2",
    from: "1",
    to: { type: "user", id: "2" },
    content: { type: "text", text: "hi" },
    sentAt: 1,
    clientMsgId: `c${id}`,
  };
}

testMessageLog("KafkaLog", () => open(), { ignore });

Deno.test("topicSpec() creates the topic with its replication factor and min.insync.replicas", () => {
  assertEquals(
    topicSpec({ topic: "im.messages", partitions: 12, replicationFactor: 3, minInsyncReplicas: 2 }),
    {
      topic: "im.messages",
      numPartitions: 12,
      replicationFactor: 3,
      configEntries: [{ name: "min.insync.replicas", value: "2" }],
    },
  );
  const error = assertThrows(() =>
    topicSpec({ topic: "t", partitions: 1, replicationFactor: 1, minInsyncReplicas: 2 })
  );
  assert(error.message.includes("min.insync.replicas 2 above its replication factor 1"));
});

Deno.test({
  name: "KafkaLog.open() creates a missing topic replicated as asked, with its min.insync.replicas",
  ignore,
  async fn() {
    // As many replicas as brokers (three on the HA infrastructure), two of them in sync if there are.
    const replicationFactor = Math.min(3, BROKERS.length);
    const minInsyncReplicas = Math.min(2, replicationFactor);
    const topic = `test.${uniqueSuffix()}`;
    const log = await open({ topic, replicationFactor, minInsyncReplicas });
    const admin = new Kafka({ brokers: BROKERS, clientId: "test", logCreator: () => () => {} })
      .admin();
    try {
      await admin.connect();
      // A broker may learn of the topic a moment after the one that created it.
      let topics: Awaited<ReturnType<typeof admin.fetchTopicMetadata>>["topics"] = [];
      await eventually(async () => {
        topics = await admin.fetchTopicMetadata({ topics: [topic] }).then(
          (m) => m.topics,
          () => [],
        );
        return topics.length > 0;
      }, 10_000);
      assertEquals(topics[0].partitions.length, 3);
      for (const partition of topics[0].partitions) {
        assertEquals(partition.replicas.length, replicationFactor);
      }
      const { resources } = await admin.describeConfigs({
        resources: [{
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: ["min.insync.replicas"],
        }],
        includeSynonyms: false,
      });
      const entry = resources[0].configEntries[0];
      assertEquals([entry.configValue, entry.isDefault], [String(minInsyncReplicas), false]);
    } finally {
      await admin.disconnect();
      await log.close();
    }
  },
});

Deno.test("A message record's trace rides in the traceparent header, not the value, and comes back", () => {
  const record: LogRecord = { type: "message", message: message("9"), trace: TRACE };
  const wire = toMessage(record);
  assertEquals(wire.key, "u:1:2");
  assertEquals(wire.headers, { traceparent: TRACE });
  assert(!wire.value.includes(TRACE), "the trace is not in the value");
  const back = fromMessage({
    value: Buffer.from(wire.value),
    headers: { traceparent: Buffer.from(TRACE) },
  });
  assertEquals(back, record);
  // Without a trace: no header, and none made up on the way back.
  const plain: LogRecord = { type: "message", message: message("10") };
  assertEquals(toMessage(plain).headers, undefined);
  assertEquals(fromMessage({ value: Buffer.from(toMessage(plain).value), headers: {} }), plain);
});

Deno.test({
  name: "KafkaLog hands a message record over with its trace, through a real broker",
  ignore,
  async fn() {
    const log = await open();
    const seen: LogRecord[] = [];
    log.consume((batch) => {
      seen.push(...batch);
      return Promise.resolve();
    });
    await log.append([
      { type: "message", message: message("1"), trace: TRACE },
      { type: "message", message: message("2") },
    ]);
    await eventually(() => seen.length === 2, 20_000);
    assertEquals(seen.map((r) => r.type === "message" ? r.trace : "?"), [TRACE, undefined]);
    await log.close();
  },
});

Deno.test("produceChunks() keeps appends whole while they fit and splits only one too big", () => {
  const m = (n: number) => ({ key: "g:1", value: "x".repeat(n - 67) }); // 64 + key + value = n
  const sizes = (chunks: ReturnType<typeof produceChunks>) =>
    chunks.map((c) => [c.messages.map((x) => x.value.length + 67), c.completes]);
  // Two appends fit one request; the third goes into the next.
  assertEquals(sizes(produceChunks([[m(300)], [m(300), m(300)], [m(200)]], 1000)), [
    [[300, 300, 300], 2],
    [[200], 3],
  ]);
  // An append larger than a request is split; the requests before its last complete nothing of it.
  assertEquals(sizes(produceChunks([[m(100)], [m(600), m(600), m(600)], [m(100)]], 1000)), [
    [[100], 1],
    [[600], 1],
    [[600], 1],
    [[600, 100], 3],
  ]);
  // A message over the limit still goes, alone (the broker says whether it fits).
  assertEquals(sizes(produceChunks([[m(5000)]], 1000)), [[[5000], 1]]);
  assertEquals(produceChunks([]), []);
});

Deno.test({
  name:
    "KafkaLog appends 3 MB of records to one key (one partition) in order, over several requests",
  ignore,
  async fn() {
    const log = await open();
    const seen: string[] = [];
    log.consume((batch) => {
      for (const r of batch) if (r.type === "message") seen.push(r.message.id);
      return Promise.resolve();
    });
    const text = "a".repeat(1000);
    const records = (from: number, n: number): LogRecord[] =>
      Array.from({ length: n }, (_, i) => ({
        type: "message",
        message: { ...message(String(from + i)), content: { type: "text", text } },
      }));
    // One append of 2,500 records (a thousand members added at once), and small ones beside it.
    await Promise.all([
      log.append(records(0, 10)),
      log.append(records(10, 2500)),
      log.append(records(2510, 10)),
    ]);
    await eventually(() => seen.length === 2520, 30_000);
    assertEquals(seen, Array.from({ length: 2520 }, (_, i) => String(i)));
    await log.close();
  },
});

Deno.test({
  name: "KafkaLog sends again the records of a partition a produce call's answer leaves out",
  ignore,
  async fn() {
    // kafkajs 2.2.4, when a broker dies, may answer a call without writing one partition's
    // records (see KafkaLog's #sendChunk): here its first call leaves out conversation u:1:2's.
    const producer = Kafka.prototype.producer;
    let calls = 0;
    Kafka.prototype.producer = function (...args) {
      const real = producer.apply(this, args);
      const send = real.send.bind(real);
      real.send = (record) =>
        send(
          calls++ > 0 ? record : {
            ...record,
            messages: record.messages.filter((m) => m.key !== "u:1:2"),
          },
        );
      return real;
    };
    try {
      const log = await open();
      const seen: string[] = [];
      log.consume((batch) => {
        for (const r of batch) if (r.type === "message") seen.push(r.message.id);
        return Promise.resolve();
      });
      const other = (id: string): LogRecord => ({
        type: "message",
        message: { ...message(id), conversationId: "u:3:4" },
      });
      await log.append([
        { type: "message", message: message("1") },
        other("2"),
        { type: "message", message: message("3") },
        other("4"),
      ]);
      assertEquals(calls, 2, "the second call sends what the first left out");
      await eventually(() => seen.length === 4, 20_000);
      assertEquals(seen.filter((id) => id === "1" || id === "3"), ["1", "3"]);
      assertEquals(seen.filter((id) => id === "2" || id === "4"), ["2", "4"]);
      await log.close();
    } finally {
      Kafka.prototype.producer = producer;
    }
  },
});

Deno.test({
  name: "KafkaLog.joined() resolves once the consumer holds the topic's partitions",
  ignore,
  async fn() {
    const suffix = uniqueSuffix();
    const log = await open({ topic: `test.${suffix}`, groupId: `test-${suffix}` });
    log.consume(() => Promise.resolve());
    await log.joined(120_000);
    const kafka = new Kafka({ clientId: `check-${suffix}`, brokers: BROKERS });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups: [group] } = await admin.describeGroups([`test-${suffix}`]);
      assertEquals([group.state, group.members.length], ["Stable", 1]);
    } finally {
      await admin.disconnect();
      await log.close();
    }
  },
});

Deno.test({
  name: "KafkaLog.ping() keeps one admin client and answers from a result a second old",
  ignore,
  async fn() {
    const admin = Kafka.prototype.admin;
    let admins = 0;
    Kafka.prototype.admin = function (...args) {
      admins++;
      return admin.apply(this, args);
    };
    try {
      const log = await open();
      const afterOpen = admins;
      await Promise.all([log.ping(), log.ping(), log.ping()]);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await log.ping();
      await log.ping();
      assertEquals(admins - afterOpen, 1, "admin clients made by four pings");
      await log.close();
      // Closed: refused at once.
      let code = "";
      await log.ping().catch((error) => code = error.code);
      assertEquals(code, "unavailable");
    } finally {
      Kafka.prototype.admin = admin;
    }
  },
});

Deno.test({
  name:
    "KafkaLog.ping() rejects with unavailable in its timeout, keeps that a second, then connects anew",
  ignore,
  async fn() {
    const log = await open();
    const admin = Kafka.prototype.admin;
    // An admin client of a broker nobody listens at, while `down`.
    const nowhere = new Kafka({
      brokers: ["127.0.0.1:1"],
      clientId: "nowhere",
      logCreator: () => () => {},
      retry: { retries: 0 },
    });
    let down = true;
    let admins = 0;
    Kafka.prototype.admin = function (...args) {
      admins++;
      return admin.apply(down ? nowhere : this, args);
    };
    const code = (promise: Promise<void>) => promise.then(() => "ok", (error) => error.code);
    try {
      const before = admins;
      const started = performance.now();
      assertEquals(await code(log.ping()), "unavailable");
      assert(
        performance.now() - started < 2500,
        "promptly (a refused connection, well inside the 2 s timeout)",
      );
      // The failure is the answer for a second: no new attempt, even once the broker is back.
      down = false;
      assertEquals(await code(log.ping()), "unavailable");
      assertEquals(admins - before, 1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // Then a new admin client, which reaches the broker.
      assertEquals(await code(log.ping()), "ok");
      assertEquals(admins - before, 2);
      await log.close();
    } finally {
      Kafka.prototype.admin = admin;
    }
  },
});

Deno.test({
  name: "KafkaLog's consumer sets im_consumer_lag per partition: appended less committed",
  ignore,
  async fn() {
    const log = await open({ lagIntervalMs: 200 });
    const total = async () => (await consumerLag.get()).values.reduce((sum, v) => sum + v.value, 0);
    let release = () => {};
    const held = new Promise<void>((resolve) => release = resolve);
    log.consume(() => held);
    await log.append([1, 2, 3, 4].map((n) => ({ type: "message", message: message(String(n)) })));
    await eventually(async () => await total() === 4, 20_000);
    release();
    await eventually(async () => await total() === 0, 20_000);
    await log.close();
  },
});
