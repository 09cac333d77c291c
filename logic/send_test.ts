/** The send path alone: batches, dedupe claims and retries, on an in-memory store and a fake log. */
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { AppError } from "../shared/errors.ts";
import type { LogRecord, MessageLog } from "../shared/message_log/mod.ts";
import { Snowflake } from "../shared/snowflake.ts";
import type { Store } from "../shared/store/mod.ts";
import type { AcceptedMessage } from "../shared/types.ts";
import { configureLogging, type Level } from "../shared/log.ts";
import { currentTrace, parseTraceparent } from "../shared/trace.ts";
import { stepsOnOneStore, testLogic } from "./_test_logic.ts";

/** A log that stores what it is given (as task would) and can be told to fail appends. */
class FakeLog implements MessageLog {
  readonly appended: AcceptedMessage[] = [];
  readonly records: LogRecord[] = [];
  failures = 0;
  constructor(readonly onAppend: (messages: AcceptedMessage[]) => Promise<void>) {}
  async append(records: LogRecord[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new AppError("unavailable", "The log is down");
    }
    const messages = records.flatMap((r) => r.type === "message" ? [r.message] : []);
    await this.onAppend(messages);
    this.appended.push(...messages);
    this.records.push(...records);
  }
  consume(): void {}
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A logic on `store` with its own log and dedupe, and two friends who have not sent yet. */
async function setUp(store: Store, { maxKeys = 1000 } = {}) {
  const log = new FakeLog(async (messages) => void await store.messages.save(messages));
  const dedupe = new MemoryDedupe({ maxKeys });
  const logic = testLogic({ store, log, dedupe });
  const now = Date.now();
  const [a, b] = [nextUser++, nextUser++].map(String);
  for (const id of [a, b]) {
    await store.accounts.createUser({
      id,
      username: `u${id}`,
      passwordHash: "x",
      nickname: id,
      createdAt: now,
    });
  }
  await store.friends.add(a, b, now);
  const text = (clientMsgId: string, text = "hello") => ({
    to: { type: "user", id: b },
    clientMsgId,
    content: { type: "text", text },
  });
  /** A second logic instance on the same store, log and dedupe, as in a cluster. */
  const twin = testLogic({ store, log, dedupe, ids: new Snowflake({ workerId: 2 }) });
  return {
    logic,
    twin,
    log,
    dedupe,
    text,
    sender: a,
    async [Symbol.asyncDispose]() {
      await dedupe.close();
    },
  };
}
let nextUser = 1;

const test = stepsOnOneStore("the send path");

test("send() appends concurrent retries of one send once, with one answer", async (store) => {
  await using t = await setUp(store);
  const answers = await Promise.all([
    t.logic.send(t.sender, t.text("c1")),
    t.logic.send(t.sender, t.text("c1")),
    t.logic.sendMany(t.sender, [t.text("c1"), t.text("c1"), t.text("c2")]),
  ]);
  assertEquals(t.log.appended.map((m) => m.clientMsgId), ["c1", "c2"]);
  const id = t.log.appended[0].id;
  assertEquals(answers[0].id, id);
  assertEquals(answers[1].id, id);
  assertEquals(answers[2].map((o) => o.result?.id).slice(0, 2), [id, id]);
});

test("send() through two logic instances at once appends one message: the claim decides", async (store) => {
  await using t = await setUp(store);
  const [one, two] = await Promise.all([
    t.logic.send(t.sender, t.text("c1", "from one")),
    t.twin.send(t.sender, t.text("c1", "from two")),
  ]);
  // The instance that lost the claim may append the winner's message too (it cannot know
  // the append is done): the very same message, which task stores once.
  assertEquals(new Set(t.log.appended.map((m) => m.id)), new Set([one.id]));
  assertEquals(two.id, one.id);
  for (const message of t.log.appended) assertEquals(message, t.log.appended[0]);
});

test("send() after a failed append appends the very same message again", async (store) => {
  await using t = await setUp(store);
  t.log.failures = 1;
  await assertRejects(() => t.logic.send(t.sender, t.text("c1", "first")));
  const retry = await t.logic.send(t.sender, t.text("c1", "changed in the retry"));
  assertEquals(t.log.appended.length, 1);
  assertEquals(t.log.appended[0].id, retry.id);
  for (const message of t.log.appended) assertEquals(message, t.log.appended[0]);
});

test("send() of an image mints its own media id once: a retry after a failed append carries it", async (store) => {
  await using t = await setUp(store);
  const upload = {
    id: "u".repeat(24),
    sha256: `sha-${t.sender}`,
    contentType: "image/png",
    size: 1,
    width: 1,
    height: 1,
    ownerId: t.sender,
    createdAt: 1,
  };
  await store.media.put(upload, new Uint8Array([1]));
  const image = { ...t.text("c1"), content: { type: "image", mediaId: upload.id } };
  t.log.failures = 1;
  await assertRejects(() => t.logic.send(t.sender, image));
  const claimed = JSON.parse((await t.dedupe.get(`${t.sender}:c1`))!).message;
  await t.logic.send(t.sender, image);
  const [message] = t.log.appended;
  assertEquals(message, claimed, "the retry appends the claimed message, media id and all");
  assert(message.content.type === "image");
  const own = message.content.mediaId;
  assert(own !== upload.id && own.length === 24, `a new media id, not ${own}`);
  assertEquals([message.content.url, message.mediaSource], [`/api/media/${own}`, upload.id]);
  assertEquals((await store.media.info(own))?.sha256, upload.sha256);
  // Another send of the same upload gets media of its own too.
  await t.logic.send(t.sender, { ...image, clientMsgId: "c2" });
  const second = t.log.appended[1].content;
  assert(second.type === "image" && second.mediaId !== own && second.mediaId !== upload.id);
});

test("send() keeps only the answer of an appended send, not its text", async (store) => {
  await using t = await setUp(store);
  await t.logic.send(t.sender, t.text("c1", "a secret"));
  const held = await t.dedupe.get(`${t.sender}:c1`);
  assert(held !== null);
  assert(!held.includes("a secret"), `the dedupe key holds the message: ${held}`);
  assert(held.length < 100, `the dedupe key holds ${held.length} characters`);
});

test("send() finds the first answer in the store once the dedupe let the key go", async (store) => {
  await using t = await setUp(store, { maxKeys: 2 });
  const first = await t.logic.send(t.sender, t.text("c1"));
  await t.logic.send(t.sender, t.text("c2"));
  await t.logic.send(t.sender, t.text("c3"));
  assertEquals(await t.dedupe.get(`${t.sender}:c1`), null, "evicted");
  const retry = await t.logic.send(t.sender, t.text("c1"));
  assertEquals(retry.id, first.id);
  assertEquals(t.log.appended.length, 3);
});

test("sendMany() carries each send's trace onto its record and its `message accepted` line", async (store) => {
  await using t = await setUp(store);
  const given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const lines: Record<string, unknown>[] = [];
  const before = { ...configureLogging({}) };
  configureLogging({
    format: "json",
    level: "debug",
    write: (_level: Level, line: string) => void lines.push(JSON.parse(line)),
  });
  let outcomes;
  try {
    outcomes = await t.logic.sendMany(
      t.sender,
      [t.text("t1"), t.text("t2"), t.text("t3")],
      [given, "00-not-a-trace", null],
    );
  } finally {
    configureLogging(before);
  }
  const traces = t.log.records.map((r) => parseTraceparent(r.type === "message" ? r.trace : ""));
  assertEquals(traces.length, 3);
  // The first is a span of the caller's trace; the malformed and the missing ones start their own.
  assertEquals(traces[0]?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert(traces[0]?.spanId !== "00f067aa0ba902b7", "logic's own span, a child of the caller's");
  assert(traces[1] && traces[2], "every record has a trace");
  assertEquals(new Set(traces.map((trace) => trace!.traceId)).size, 3);
  const accepted = lines.filter((line) => line.message === "message accepted");
  assertEquals(
    accepted.map((line) => [line.traceId, line.messageId, line.conversationId, line.level]),
    outcomes.map((o, i) => [traces[i]!.traceId, o.result!.id, o.result!.conversationId, "debug"]),
  );
});

test("a batch of sends runs outside the trace of the send that scheduled it", async (store) => {
  await using t = await setUp(store);
  const seen: (string | undefined)[] = [];
  const append = t.log.append.bind(t.log);
  t.log.append = (records) => {
    seen.push(currentTrace()?.traceId);
    return append(records);
  };
  await t.logic.sendMany(
    t.sender,
    [t.text("o1"), t.text("o2")],
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null],
  );
  assert(seen.length > 0, "appended");
  // The records carry each send's trace; the batch's own work (and its lines) carries none.
  assertEquals(seen, seen.map(() => undefined));
});
