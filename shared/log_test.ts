/** The logger port: line shapes, levels, redaction, errors and the trace id. */
import { match as assertMatch } from "node:assert/strict";
import { assert, assertEquals } from "../tests/assert.ts";
import { AppError } from "./errors.ts";
import { configureLogging, type Level, logErrors, logger, type LogSettings } from "./log.ts";
import { parseTraceparent, withTrace } from "./trace.ts";

/** Runs `fn` with lines captured (format and level as given), then puts the settings back. */
function capture(
  options: Partial<Pick<LogSettings, "format" | "level" | "layer" | "instance">>,
  fn: () => void | Promise<void>,
): Promise<{ level: Level; line: string }[]> {
  const before = { ...configureLogging({}) };
  const lines: { level: Level; line: string }[] = [];
  configureLogging({
    format: "json",
    level: "debug",
    layer: "logic",
    instance: "logic-1",
    ...options,
    write: (level, line) => void lines.push({ level, line }),
  });
  return Promise.resolve(fn()).then(() => lines).finally(() => configureLogging(before));
}

Deno.test("a JSON line: time, level, layer, instance, message, then the fields", async () => {
  const [{ level, line }] = await capture({}, () => {
    logger("send").info("gRPC on 127.0.0.1:7001", { workerId: 1, skipped: undefined });
  });
  assertEquals(level, "info");
  const parsed = JSON.parse(line);
  assertEquals(Object.keys(parsed), [
    "time",
    "level",
    "layer",
    "instance",
    "message",
    "component",
    "workerId",
  ]);
  assertMatch(parsed.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assertEquals(parsed, {
    time: parsed.time,
    level: "info",
    layer: "logic",
    instance: "logic-1",
    message: "gRPC on 127.0.0.1:7001",
    component: "send",
    workerId: 1,
  });
});

Deno.test("a field cannot hide the line's own keys", async () => {
  const [{ line }] = await capture({}, () => {
    logger().warn("the real message", { message: "forged", level: "debug", layer: "api" });
  });
  const parsed = JSON.parse(line);
  assertEquals([parsed.message, parsed.level, parsed.layer], ["the real message", "warn", "logic"]);
});

Deno.test("a pretty line: time, LEVEL, layer, instance, message, key=value", async () => {
  const [{ line }] = await capture({ format: "pretty" }, () => {
    logger("task").warn("push failed", { serverId: "connect-1", note: "two words", n: 2 });
  });
  assertMatch(
    line,
    /^\d\d:\d\d:\d\d\.\d{3} WARN {2}logic logic-1 push failed component=task serverId=connect-1 note="two words" n=2$/,
  );
});

Deno.test("lines below the level are not written; enabled() says so", async () => {
  const log = logger();
  const lines = await capture({ level: "warn" }, () => {
    assert(!log.enabled("info") && log.enabled("warn") && log.enabled("error"));
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
  });
  assertEquals(lines.map(({ level, line }) => [level, JSON.parse(line).message]), [
    ["warn", "w"],
    ["error", "e"],
  ]);
});

Deno.test("secrets and message text are redacted by field name, at any depth", async () => {
  const [{ line }] = await capture({}, () => {
    logger().info("call", {
      password: "hunter2",
      userId: "42",
      request: {
        headers: { authorization: "Bearer abc", cookie: "sid=1" },
        body: "raw body",
        items: [{ token: "t1", tokenHashes: ["h"] }, { content: { type: "text", text: "hi" } }],
        message: { text: "hello there", newPassword: "p2", clientSecret: "s" },
      },
    });
  });
  for (const secret of ["hunter2", "abc", "sid=1", "raw body", "t1", '"h"', "hello there", "p2"]) {
    assert(!line.includes(secret), `${secret} was written: ${line}`);
  }
  const parsed = JSON.parse(line);
  assertEquals(parsed.password, "[redacted]");
  assertEquals(parsed.userId, "42");
  assertEquals(parsed.request.headers, { authorization: "[redacted]", cookie: "[redacted]" });
  assertEquals(parsed.request.items, [
    { token: "[redacted]", tokenHashes: "[redacted]" },
    { content: "[redacted]" },
  ]);
  assertEquals(parsed.request.message, {
    text: "[redacted]",
    newPassword: "[redacted]",
    clientSecret: "[redacted]",
  });
});

Deno.test("deep values are cut, long arrays shortened, bytes and bigints described", async () => {
  const [{ line }] = await capture({}, () => {
    logger().info("shapes", {
      deep: { a: { b: { c: { d: "too deep" } } } },
      many: Array.from({ length: 60 }, (_, i) => i),
      bytes: new Uint8Array(12),
      big: 2n ** 70n,
    });
  });
  const parsed = JSON.parse(line);
  assertEquals(parsed.deep, { a: { b: { c: "[…]" } } });
  assertEquals(parsed.many.length, 51);
  assertEquals(parsed.many.at(-1), "[… 10 more]");
  assertEquals(parsed.bytes, "[12 bytes]");
  assertEquals(parsed.big, (2n ** 70n).toString());
});

Deno.test("an error is described: name, message, code, cause; its stack at level error only", async () => {
  const error = new AppError("unavailable", "Kafka is unavailable", {
    cause: new Error("connect ECONNREFUSED"),
  });
  const lines = await capture({}, () => {
    logger().warn("ping failed", { error });
    logErrors(logger("kafka"))(error, "append");
    logErrors(logger("kafka"))(new Error("plain"));
  });
  const [warn, failed, plain] = lines.map(({ line }) => JSON.parse(line));
  assertEquals(warn.error, {
    name: "AppError",
    message: "Kafka is unavailable",
    code: "unavailable",
    cause: { name: "Error", message: "connect ECONNREFUSED" },
  });
  assertEquals([failed.level, failed.message, failed.component], ["error", "append", "kafka"]);
  assertMatch(failed.error.stack, /AppError: Kafka is unavailable/);
  assertEquals([plain.message, plain.error.message], ["failed", "plain"]);
});

Deno.test("an error chain is cut where it loops or runs long; a repeated error is no loop", async () => {
  const self = new Error("its own cause");
  self.cause = self;
  const a = new Error("a");
  const b = new Error("b", { cause: a });
  a.cause = { via: b };
  let long = new Error("link 0");
  for (let i = 1; i < 100; i++) long = new Error(`link ${i}`, { cause: long });
  const shared = new Error("twice");
  const ring: Record<string, unknown> = { name: "ring" };
  ring.self = ring;
  const lines = await capture({}, () => {
    logger().error("self", { error: self });
    logger().warn("mutual", { error: b });
    logger().warn("long", { error: long });
    logger().warn("shared", { first: shared, second: { again: shared } });
    logger().info("ring", { ring });
  });
  const [own, mutual, chain, twice, looped] = lines.map(({ line }) => JSON.parse(line));
  assertEquals(own.error.message, "its own cause");
  assertEquals(own.error.cause, "[circular]");
  assertEquals(mutual.error.cause, { name: "Error", message: "a", cause: { via: "[circular]" } });
  let depth = 0;
  for (let link = chain.error; typeof link === "object"; link = link.cause) depth++;
  assert(depth >= 5 && depth <= 10, `a chain of ${depth} links`);
  assertEquals(twice.first, { name: "Error", message: "twice" });
  assertEquals(twice.second.again, { name: "Error", message: "twice" });
  assertEquals(looped.ring, { name: "ring", self: "[circular]" });
});

Deno.test("a pretty line stays one line: control characters are escaped", async () => {
  const lines = await capture({ format: "pretty" }, () => {
    logger().warn("no route /a\n07:40:01.123 ERROR logic logic-1 forged", {
      path: "/b\r\nforged",
      ansi: "\x1b[31mred",
      c1: "\x9b31m",
      separator: "a\u2028b",
      nested: { note: "x\ny" },
      "key\nforged": 1,
      error: new Error("bad\ninput"),
    });
    logger().info("a plain message");
  });
  assertEquals(lines.length, 2);
  const [{ line }, plain] = lines;
  assert(!/[\p{Cc}\u2028\u2029]/u.test(line), `a control character was written: ${line}`);
  assertMatch(
    line,
    / WARN {2}logic logic-1 "no route \/a\\n07:40:01\.123 ERROR logic logic-1 forged" /,
  );
  for (
    const part of [
      'path="/b\\r\\nforged"',
      'ansi="\\u001b[31mred"',
      'c1="\\u009b31m"',
      'separator="a\\u2028b"',
      'nested={"note":"x\\ny"}',
      '"key\\nforged"=1',
      '"message":"bad\\ninput"',
    ]
  ) assert(line.includes(part), `${part} not in ${line}`);
  assertMatch(plain.line, / INFO {2}logic logic-1 a plain message$/);
});

Deno.test("the trace id comes from the active trace, unless a line gives its own", async () => {
  const trace = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  const lines = await capture({}, async () => {
    const log = logger().child({ connection: 7 });
    log.info("outside");
    await withTrace(trace, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.info("inside, after an await");
      log.info("own", { traceId: "f".repeat(32) });
    });
  });
  const parsed = lines.map(({ line }) => JSON.parse(line));
  assertEquals(parsed.map((l) => [l.message, l.traceId, l.connection]), [
    ["outside", undefined, 7],
    ["inside, after an await", "4bf92f3577b34da6a3ce929d0e0e4736", 7],
    ["own", "f".repeat(32), 7],
  ]);
});
