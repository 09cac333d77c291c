/**
 * The message log on Kafka: one topic partitioned by record key (conversation
 * id), an idempotent producer with acks=all, and a consumer group whose offsets
 * are committed only after the handler (task's store) has succeeded.
 */
import { type Consumer, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { AppError } from "../errors.ts";
import { within } from "../timeout.ts";
import { type LogHandler, type LogRecord, type MessageLog, recordKey } from "./mod.ts";

/** Options of the Kafka log. */
export interface KafkaLogOptions {
  brokers: string[];
  topic: string;
  /** Partitions of the topic when this log creates it. */
  partitions: number;
  clientId: string;
  /** The consumer group of task instances. */
  groupId: string;
  /** How long appends wait to be sent together, in milliseconds. */
  lingerMs?: number;
  /** Partitions a consumer handles at once (each still in order). */
  concurrency?: number;
  onError?: (error: unknown) => void;
}

interface Pending {
  records: LogRecord[];
  resolve: () => void;
  reject: (error: Error) => void;
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
      onError: console.error,
      ...options,
    };
    const kafka = new Kafka({
      clientId: full.clientId,
      brokers: full.brokers,
      logLevel: logLevel.ERROR,
      logCreator: () => ({ namespace, log }) => {
        const error = (log as { error?: string }).error;
        console.error(`kafkajs ${namespace}: ${log.message}${error ? ` (${error})` : ""}`);
      },
      retry: { initialRetryTime: 100, retries: 8 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(full.topic)) {
        await admin.createTopics({
          topics: [{ topic: full.topic, numPartitions: full.partitions }],
          waitForLeaders: true,
        });
      }
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
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new KafkaLog(kafka, producer, full);
  }

  append(records: LogRecord[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new AppError("unavailable", "The message log is closed"));
    }
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#pending.push({ records, resolve, reject });
      this.#timer ??= setTimeout(() => this.#flush(), this.#options.lingerMs);
    });
  }

  #flush(): void {
    this.#timer = undefined;
    // One produce request at a time (the producer allows no more): appends that
    // come meanwhile wait and all go in the next request, instead of queuing
    // one small request each behind it.
    if (this.#inFlight.size > 0 && !this.#closed) return;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const sending = this.#producer.send({
      topic: this.#options.topic,
      acks: -1,
      messages: batch.flatMap((p) =>
        p.records.map((r) => ({ key: recordKey(r), value: JSON.stringify(r) }))
      ),
    }).then(
      () => batch.forEach((p) => p.resolve()),
      (error) => {
        const appError = new AppError("unavailable", "Kafka did not accept the records", {
          cause: error,
        });
        batch.forEach((p) => p.reject(appError));
      },
    ).finally(() => {
      this.#inFlight.delete(sending);
      if (this.#pending.length > 0 && this.#timer === undefined) this.#flush();
    });
    this.#inFlight.add(sending);
  }

  consume(handler: LogHandler): void {
    if (this.#consumer) throw new Error("Cannot consume one KafkaLog twice");
    const consumer = this.#kafka.consumer({
      groupId: this.#options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      // A failed batch (the store is down) is tried again at most a second apart,
      // so the backlog moves as soon as the store is back (kafkajs waits up to 30 s by default).
      retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 1_000_000 },
    });
    this.#consumer = consumer;
    const start = async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: this.#options.topic, fromBeginning: true });
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
          const records = batch.messages.map((m) => JSON.parse(m.value!.toString()) as LogRecord);
          // A throw here leaves the offsets where they were: kafkajs hands the batch over again.
          await handler(records);
          resolveOffset(batch.messages[batch.messages.length - 1].offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
        },
      });
    };
    start().catch((error) => this.#options.onError(error));
  }

  /** Asks the cluster for its metadata, with a short timeout. */
  async ping(): Promise<void> {
    if (this.#closed) throw new AppError("unavailable", "The message log is closed");
    const admin = this.#kafka.admin({ retry: { retries: 0 } });
    try {
      await within(admin.connect().then(() => admin.describeCluster()), 2000);
    } catch (error) {
      throw new AppError("unavailable", "Kafka is unavailable", { cause: error });
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#flush();
    await Promise.allSettled([...this.#inFlight]);
    await this.#consumer?.disconnect().catch(() => {});
    await this.#producer.disconnect().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
