/**
 * The message log on Kafka: one topic partitioned by record key (conversation
 * id), an idempotent producer with acks=all, and a consumer group whose offsets
 * are committed only after the handler (task's store) has succeeded.
 *
 * A message record's trace context travels as the `traceparent` header, not in
 * the value. One admin client, connected on first use and kept, answers `ping()`
 * and, in the consuming process, measures the consumer lag every few seconds.
 */
import {
  type Admin,
  type Consumer,
  type IHeaders,
  type ITopicConfig,
  Kafka,
  type KafkaMessage,
  logLevel,
  Partitioners,
  type Producer,
} from "kafkajs";
import { AppError } from "../errors.ts";
import { logger } from "../log.ts";
import { consumerLag, logAppendSeconds, secondsSince } from "../metrics.ts";
import { within } from "../timeout.ts";
import { outsideTrace } from "../trace.ts";
import { type LogHandler, type LogRecord, type MessageLog, recordKey } from "./mod.ts";

const log = logger("kafka");
/** Each append updates it: the labelled series is looked up once, here. */
const appendSeconds = logAppendSeconds.labels("kafka");

/** How long a `ping()` answer is reused: a readiness probe per second costs one request. */
const PING_CACHE_MS = 1000;
/** How long a `ping()` waits for the cluster. */
const PING_TIMEOUT_MS = 2000;
/** How often the consuming process measures its lag. */
const LAG_INTERVAL_MS = 5000;

/** Options of the Kafka log. */
export interface KafkaLogOptions {
  brokers: string[];
  topic: string;
  /** Partitions of the topic when this log creates it. */
  partitions: number;
  /**
   * Replicas of each partition when this log creates the topic (1: the topic lives on one broker).
   * With 3 and `minInsyncReplicas` 2, an append acknowledged (acks=all) survives a broker's loss.
   */
  replicationFactor?: number;
  /** The topic's `min.insync.replicas` when this log creates it: replicas an append must reach. */
  minInsyncReplicas?: number;
  clientId: string;
  /** The consumer group of task instances. */
  groupId: string;
  /** How long appends wait to be sent together, in milliseconds. */
  lingerMs?: number;
  /** Partitions a consumer handles at once (each still in order). */
  concurrency?: number;
  /** How often the consumer's lag is measured, in milliseconds. */
  lagIntervalMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * The topic this log creates when it is missing; refuses a `min.insync.replicas` above the
 * replication factor. An existing topic is left as it is: its replication is changed by Kafka's
 * own tools (kafka-reassign-partitions, kafka-configs).
 */
export function topicSpec(
  options: Pick<
    Required<KafkaLogOptions>,
    "topic" | "partitions" | "replicationFactor" | "minInsyncReplicas"
  >,
): ITopicConfig {
  if (options.minInsyncReplicas > options.replicationFactor) {
    throw new AppError(
      "internal",
      `Cannot create topic "${options.topic}" with min.insync.replicas ${options.minInsyncReplicas} ` +
        `above its replication factor ${options.replicationFactor}: no append could succeed ` +
        "(IM_KAFKA_MIN_INSYNC, IM_KAFKA_REPLICATION)",
    );
  }
  return {
    topic: options.topic,
    numPartitions: options.partitions,
    replicationFactor: options.replicationFactor,
    configEntries: [{ name: "min.insync.replicas", value: String(options.minInsyncReplicas) }],
  };
}

interface Pending {
  records: LogRecord[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Waits until the topic's every partition has a leader, as every broker asked sees it. kafkajs's
 * `waitForLeaders` asks one broker once and gives up when that broker has not yet learnt of a
 * topic just created (with several brokers it often has not); metadata reaches them all within
 * moments, so this asks again until then, for at most `timeoutMs`.
 */
async function untilLed(admin: Admin, topic: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: [found] } = await admin.fetchTopicMetadata({ topics: [topic] });
      if (found.partitions.length > 0 && found.partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`Topic ${topic} has partitions without a leader`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The Kafka message log; `open()` connects and creates the topic if missing. */
export class KafkaLog implements MessageLog {
  readonly #kafka: Kafka;
  readonly #options: Required<KafkaLogOptions>;
  readonly #producer: Producer;
  #consumer: Consumer | null = null;
  #pending: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = new Set<Promise<void>>();
  #closed = false;
  #hasJoined = false;
  #joinWaiters: (() => void)[] = [];
  /** The one admin client (ping, lag), connected on first use; dropped after a failure. */
  #admin: Promise<Admin> | null = null;
  #lastPing: { at: number; error: AppError | null } | null = null;
  #pinging: Promise<void> | null = null;
  #lagTimer: ReturnType<typeof setInterval> | undefined;
  #lagFailing = false;

  private constructor(kafka: Kafka, producer: Producer, options: Required<KafkaLogOptions>) {
    this.#kafka = kafka;
    this.#producer = producer;
    this.#options = options;
  }

  /** Connects the producer and makes sure the topic exists. */
  static async open(options: KafkaLogOptions): Promise<KafkaLog> {
    const full: Required<KafkaLogOptions> = {
      lingerMs: 2,
      concurrency: 4,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      lagIntervalMs: LAG_INTERVAL_MS,
      onError: (error) => log.error("consumer failed", { error }),
      ...options,
    };
    const kafka = new Kafka({
      clientId: full.clientId,
      brokers: full.brokers,
      logLevel: logLevel.ERROR,
      logCreator: () => ({ namespace, log: entry }) => {
        const { message, error } = entry as { message: string; error?: string };
        log.error(message, { namespace, error });
      },
      retry: { initialRetryTime: 100, retries: 8 },
    });
    const spec = topicSpec(full);
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      // Not kafkajs's waitForLeaders (true unless told): untilLed() waits instead.
      if (!topics.includes(full.topic)) {
        await admin.createTopics({ topics: [spec], waitForLeaders: false });
      }
      await untilLed(admin, full.topic);
    } catch (error) {
      throw new AppError("unavailable", `Cannot reach Kafka at ${full.brokers.join(",")}`, {
        cause: error,
      });
    } finally {
      await admin.disconnect().catch(() => {});
    }
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: recordingPartitioner,
    });
    await producer.connect();
    return new KafkaLog(kafka, producer, full);
  }

  append(records: LogRecord[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new AppError("unavailable", "The message log is closed"));
    }
    if (records.length === 0) return Promise.resolve();
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ records, resolve, reject });
      // The produce request is every pending append's: outside the trace of the one that came first.
      this.#timer ??= setTimeout(() => outsideTrace(() => this.#flush()), this.#options.lingerMs);
    }).then(() => appendSeconds.observe(secondsSince(started)));
  }

  #flush(): void {
    this.#timer = undefined;
    // One produce request at a time (the producer allows no more): appends that
    // come meanwhile wait and all go in the next requests, instead of queuing
    // one small request each behind them.
    if (this.#inFlight.size > 0 && !this.#closed) return;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const sending = this.#sendAll(batch).finally(() => {
      this.#inFlight.delete(sending);
      if (this.#pending.length > 0 && this.#timer === undefined) this.#flush();
    });
    this.#inFlight.add(sending);
  }

  /**
   * The requests of `produceChunks()`, one after the other: an append is answered when the last
   * request holding its records is acknowledged; after a failure the rest of the batch is refused,
   * not sent (a later record of the same key must not overtake one that was not logged).
   */
  async #sendAll(batch: Pending[]): Promise<void> {
    const chunks = produceChunks(batch.map((p) => p.records.map(toMessage)));
    let next = 0;
    for (const chunk of chunks) {
      try {
        await this.#sendChunk(chunk.messages);
      } catch (error) {
        const appError = new AppError("unavailable", "Kafka did not accept the records", {
          cause: error,
        });
        for (; next < batch.length; next++) batch[next].reject(appError);
        return;
      }
      for (; next < chunk.completes; next++) batch[next].resolve();
    }
  }

  /**
   * One produce call, and again for the messages of any partition its answer does not list.
   * kafkajs 2.2.4 keeps, across the tries of one call, the answer of each broker that answered:
   * when a broker dies and a partition it led moves to a broker that had already answered for
   * others, the retry sends that partition to nobody and the call succeeds without it (the HA
   * fault suite lost 21 acknowledged messages so, when a broker was killed).
   */
  async #sendChunk(messages: Message[]): Promise<void> {
    let left = messages;
    for (let round = 0;; round++) {
      const answers = await this.#producer.send({
        topic: this.#options.topic,
        acks: -1,
        messages: left,
      });
      const written = new Set(answers.map((a) => a.partition));
      const missed = left.filter((m) => !written.has(partitionOf.get(m) ?? -1));
      if (missed.length === 0) return;
      if (round >= 5) {
        throw new Error(`Kafka left ${missed.length} records unwritten after ${round + 1} sends`);
      }
      log.warn("kafka skipped partitions of a produce call: sending their records again", {
        records: missed.length,
        partitions: [...new Set(missed.map((m) => partitionOf.get(m)))],
      });
      left = missed;
    }
  }

  /**
   * Resolves once the consumer of `consume()` has joined its group (it has partitions to read), or
   * after `timeoutMs`, whichever comes first. task says it is consuming only then: records appended
   * before the group settles wait for it (seconds on a topic just created on three brokers), and a
   * reply to a message not yet stored waits only so long (logic/stored_soon.ts).
   */
  joined(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#joinWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      if (this.#hasJoined) this.#onJoined();
    });
  }

  #onJoined(): void {
    this.#hasJoined = true;
    for (const waiter of this.#joinWaiters.splice(0)) waiter();
  }

  consume(handler: LogHandler): void {
    if (this.#consumer) throw new Error("Cannot consume one KafkaLog twice");
    const consumer = this.#kafka.consumer({
      groupId: this.#options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      // An idle consumer heartbeats between fetches, so it hears of a rebalance (another task
      // process started) only when a fetch returns: after at most a second, not kafkajs's 5.
      maxWaitTimeInMs: 1000,
      // A failed batch (the store is down) is tried again at most a second apart,
      // so the backlog moves as soon as the store is back (kafkajs waits up to 30 s by default).
      retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 1_000_000 },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.#onJoined());
    const start = async () => {
      // Tried until it works: a broker that has not yet learnt of a topic just created answers
      // the subscription UNKNOWN_TOPIC_OR_PARTITION, and kafkajs does not try again.
      for (let attempt = 0;; attempt++) {
        try {
          await consumer.connect();
          await consumer.subscribe({ topic: this.#options.topic, fromBeginning: true });
          break;
        } catch (error) {
          if (this.#closed) return;
          if (attempt % 10 === 0) this.#options.onError(error);
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
        }
      }
      if (this.#closed) return;
      await consumer.run({
        // Only offsets resolved after the handler succeeded are committed, at most
        // every 200 ms rather than after each batch: a crash hands over again at
        // most that much, which the idempotent store absorbs.
        autoCommit: true,
        autoCommitInterval: 200,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.#options.concurrency,
        eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
          if (batch.messages.length === 0) return;
          const records = batch.messages.map(fromMessage);
          // A throw here leaves the offsets where they were: kafkajs hands the batch over again.
          await handler(records);
          resolveOffset(batch.messages[batch.messages.length - 1].offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
        },
      });
    };
    start().catch((error) => this.#options.onError(error));
    this.#lagTimer = setInterval(() => void this.#measureLag(), this.#options.lagIntervalMs);
    Deno.unrefTimer(this.#lagTimer);
  }

  /**
   * Sets `im_consumer_lag` per partition: the log-end offset less the group's committed offset
   * (all of the partition while the group has committed nothing). Failures are logged once per
   * run of them (Kafka down would otherwise write a line every interval).
   */
  async #measureLag(): Promise<void> {
    const { topic, groupId } = this.#options;
    const client = this.#adminClient();
    try {
      const admin = await client;
      const [ends, [committed]] = await within(
        Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]),
        PING_TIMEOUT_MS,
      );
      const done = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
      for (const { partition, high, low } of ends) {
        const at = done.get(partition) ?? -1;
        consumerLag.set(
          { partition: String(partition) },
          Math.max(0, Number(high) - (at < 0 ? Number(low) : at)),
        );
      }
      this.#lagFailing = false;
    } catch (error) {
      this.#dropAdmin(client);
      if (!this.#lagFailing && !this.#closed) {
        log.warn("cannot measure the consumer lag", { error });
      }
      this.#lagFailing = true;
    }
  }

  /** The admin client, connected on first use. */
  #adminClient(): Promise<Admin> {
    if (!this.#admin) {
      const admin = this.#kafka.admin({ retry: { retries: 0 } });
      const connected = admin.connect().then(() => admin);
      this.#admin = connected;
      // A failed connect is forgotten, so the next use tries again.
      connected.catch(() => this.#dropAdmin(connected));
    }
    return this.#admin;
  }

  /**
   * Forgets `client` after a failure (unless a newer one replaced it already) and disconnects
   * it: the next use connects a new one, so a broker restart or a dropped connection heals.
   */
  #dropAdmin(client: Promise<Admin>): void {
    if (this.#admin === client) this.#admin = null;
    client.then((admin) => admin.disconnect()).catch(() => {});
  }

  /**
   * Asks the cluster for its metadata through the one admin client, at most once a second
   * (calls in between get the last answer) and for at most 2 s.
   */
  async ping(): Promise<void> {
    if (this.#closed) throw new AppError("unavailable", "The message log is closed");
    const last = this.#lastPing;
    if (last && performance.now() - last.at < PING_CACHE_MS) {
      if (last.error) throw last.error;
      return;
    }
    this.#pinging ??= this.#askCluster().finally(() => this.#pinging = null);
    await this.#pinging;
  }

  async #askCluster(): Promise<void> {
    const client = this.#adminClient();
    try {
      await within(client.then((admin) => admin.describeCluster()), PING_TIMEOUT_MS);
      this.#lastPing = { at: performance.now(), error: null };
    } catch (error) {
      this.#dropAdmin(client);
      const unavailable = new AppError("unavailable", "Kafka is unavailable", { cause: error });
      this.#lastPing = { at: performance.now(), error: unavailable };
      throw unavailable;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#lagTimer);
    this.#flush();
    await Promise.allSettled([...this.#inFlight]);
    await this.#consumer?.disconnect().catch(() => {});
    await this.#producer.disconnect().catch(() => {});
    const admin = this.#admin;
    this.#admin = null;
    await admin?.then((a) => a.disconnect()).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A record as a Kafka message: its trace context in the `traceparent` header, not the value. */
export function toMessage(record: LogRecord): { key: string; value: string; headers?: IHeaders } {
  const key = recordKey(record);
  if (record.type !== "message" || record.trace === undefined) {
    return { key, value: JSON.stringify(record) };
  }
  const { trace, ...rest } = record;
  return { key, value: JSON.stringify(rest), headers: { traceparent: trace } };
}

/**
 * A produce request's most bytes of keys, values and headers. The broker refuses a record batch
 * over its `message.max.bytes` (1 MiB by default) whole, and a request holds one batch per
 * partition: with every record of a request in one partition (a group's busy conversation, a
 * thousand members added at once) a larger request would fail after the store has committed.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

type Message = ReturnType<typeof toMessage>;

/** The partition kafkajs's partitioner last chose for each message (see `#sendChunk()`). */
const partitionOf = new WeakMap<object, number>();

/** kafkajs's default partitioner (murmur2 of the key), noting what it chose in `partitionOf`. */
function recordingPartitioner(): ReturnType<typeof Partitioners.DefaultPartitioner> {
  const choose = Partitioners.DefaultPartitioner();
  return (args) => {
    const partition = choose(args);
    partitionOf.set(args.message, partition);
    return partition;
  };
}

/**
 * The produce requests for appends' messages, in order: appends go whole into a request while it
 * has room for them; one larger than a request is split over as many as it needs. `completes`:
 * how many appends (from the first) every request up to and including this one has finished.
 */
export function produceChunks(
  appends: readonly Message[][],
  maxBytes = MAX_REQUEST_BYTES,
): { messages: Message[]; completes: number }[] {
  const chunks: { messages: Message[]; completes: number }[] = [];
  let current: Message[] = [];
  let bytes = 0;
  const close = (completes: number) => {
    if (current.length > 0) chunks.push({ messages: current, completes });
    current = [];
    bytes = 0;
  };
  appends.forEach((messages, i) => {
    const size = messages.reduce((a, m) => a + messageBytes(m), 0);
    if (bytes > 0 && bytes + size > maxBytes) close(i);
    for (const message of messages) {
      const one = messageBytes(message);
      if (bytes > 0 && bytes + one > maxBytes) close(i);
      current.push(message);
      bytes += one;
    }
  });
  close(appends.length);
  return chunks;
}

/** A message's bytes on the wire, near enough: key, value, headers and a record's overhead. */
function messageBytes(m: Message): number {
  const text = (t: string) => t.length * (/[\u0080-\uffff]/.test(t) ? 3 : 1);
  return 64 + text(m.key) + text(m.value) +
    (m.headers
      ? Object.entries(m.headers).reduce((a, [k, v]) => a + k.length + String(v).length, 0)
      : 0);
}

/** The record a Kafka message holds, with its trace context back from the header. */
export function fromMessage(message: Pick<KafkaMessage, "value" | "headers">): LogRecord {
  const record = JSON.parse(message.value!.toString()) as LogRecord;
  const header = message.headers?.traceparent;
  const trace = Array.isArray(header) ? header[0] : header;
  if (record.type === "message" && trace !== undefined) record.trace = trace.toString();
  return record;
}
