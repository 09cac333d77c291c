/// <reference lib="deno.ns" />
import { assert, assertEquals } from "../tests/assert.ts";
import { configureLogging, type Level } from "./log.ts";
import { ready } from "./metrics.ts";
import {
  type Dependency,
  opsResponse,
  Readiness,
  serveOps,
  unavailableMessage,
} from "./ops_http.ts";

const up = (name: string): Dependency => ({ name, check: () => Promise.resolve() });
const down = (name: string): Dependency => ({
  name,
  check: () => Promise.reject(new Error(`${name} refused the connection`)),
});
/** A dependency that never answers. */
const hanging = (name: string): Dependency => ({ name, check: () => new Promise(() => {}) });

async function gauge(): Promise<number> {
  return (await ready.get()).values[0].value;
}

async function answer(response: Promise<Response> | null): Promise<[number, unknown]> {
  const r = await response!;
  return [r.status, await r.json()];
}

Deno.test("unavailableMessage() names one dependency or several", () => {
  assertEquals(unavailableMessage(["Redis"]), "Redis is unavailable");
  assertEquals(unavailableMessage(["PostgreSQL", "Redis"]), "PostgreSQL and Redis are unavailable");
  assertEquals(
    unavailableMessage(["PostgreSQL", "Kafka", "etcd"]),
    "PostgreSQL, Kafka and etcd are unavailable",
  );
});

Deno.test("/readyz is 200 when every dependency answers, 503 naming the ones that do not", async () => {
  const all = new Readiness([up("PostgreSQL"), up("Kafka"), up("Redis"), up("etcd")]);
  assertEquals(await answer(opsResponse("/readyz", all)), [200, { status: "ready" }]);
  assertEquals(await gauge(), 1);

  const one = new Readiness([up("PostgreSQL"), down("Redis")], { log: quiet });
  assertEquals(await answer(opsResponse("/readyz", one)), [
    503,
    { error: { code: "unavailable", message: "Redis is unavailable" } },
  ]);
  assertEquals(await gauge(), 0, "the ready gauge follows the last answer");

  const two = new Readiness([down("PostgreSQL"), up("Kafka"), down("Redis")], { log: quiet });
  const [status, body] = await answer(opsResponse("/readyz", two));
  assertEquals(status, 503);
  assertEquals(body, {
    error: { code: "unavailable", message: "PostgreSQL and Redis are unavailable" },
  });

  assertEquals(await answer(opsResponse("/readyz", all)), [200, { status: "ready" }]);
  assertEquals(await gauge(), 1, "and back once ready");
});

Deno.test("/readyz answers 503 once a check that hangs runs out of time", async () => {
  const readiness = new Readiness([up("PostgreSQL"), hanging("Kafka")], {
    timeoutMs: 150,
    log: quiet,
  });
  const started = performance.now();
  const [status, body] = await answer(opsResponse("/readyz", readiness));
  const took = performance.now() - started;
  assertEquals([status, body], [
    503,
    { error: { code: "unavailable", message: "Kafka is unavailable" } },
  ]);
  assert(took >= 140 && took < 1000, `answered after ${took} ms`);
  assertEquals(await gauge(), 0);
});

Deno.test("probes that come while a check runs share it: a dependency is asked once at a time", async () => {
  let calls = 0;
  let release = () => {};
  const slow: Dependency = {
    name: "Redis",
    check: () => {
      // The first check waits for `release`; any later one answers at once.
      if (++calls > 1) return Promise.resolve();
      return new Promise((resolve) => release = resolve);
    },
  };
  const readiness = new Readiness([slow]);
  const probes = [1, 2, 3].map(() => opsResponse("/readyz", readiness)!);
  await new Promise((resolve) => setTimeout(resolve, 20));
  release();
  const answers = await Promise.all(probes);
  assertEquals(answers.map((r) => r.status), [200, 200, 200]);
  assertEquals(calls, 1);
  await Promise.all(answers.map((r) => r.body?.cancel()));
  await opsResponse("/readyz", readiness)!.then((r) => r.body?.cancel());
  assertEquals(calls, 2, "a probe after the answer checks again");
});

Deno.test("/metrics checks readiness first when the last answer is stale, so im_ready is current", async () => {
  let answering = true;
  let calls = 0;
  const readiness = new Readiness([{
    name: "etcd",
    check: () => {
      calls++;
      return answering ? Promise.resolve() : Promise.reject(new Error("down"));
    },
  }], { staleMs: 60_000, log: quiet });
  let text = await (await opsResponse("/metrics", readiness)!).text();
  assertEquals(calls, 1, "never checked: checked before the scrape");
  assert(/^im_ready 1$/m.test(text), "im_ready 1 once ready");
  answering = false;
  text = await (await opsResponse("/metrics", readiness)!).text();
  assertEquals(calls, 1, "a fresh answer is not asked again");
  assert(/^im_ready 1$/m.test(text));

  const eager = new Readiness([down("etcd")], { staleMs: 0, log: quiet });
  text = await (await opsResponse("/metrics", eager)!).text();
  assert(/^im_ready 0$/m.test(text), "im_ready 0 while a dependency is down");
});

Deno.test("opsResponse() answers only its own paths", async () => {
  const readiness = new Readiness([down("logic")], { log: quiet });
  assertEquals(await answer(opsResponse("/healthz", readiness)), [200, { status: "ok" }]);
  assertEquals(opsResponse("/api/me", readiness), null);
  assertEquals(opsResponse("/metrics/x", readiness), null);
});

Deno.test("a dependency that stops answering is logged once, and once again when it is back", async () => {
  const lines: [Level, string][] = [];
  const previous = { ...configureLogging({}) };
  configureLogging({
    format: "json",
    level: "info",
    write: (level, line) => lines.push([level, line]),
  });
  try {
    let answering = false;
    const readiness = new Readiness([{
      name: "Redis",
      check: () => answering ? Promise.resolve() : Promise.reject(new Error("ECONNREFUSED")),
    }]);
    await readiness.check();
    await readiness.check();
    answering = true;
    await readiness.check();
    await readiness.check();
    const logged = lines.map(([level, line]) => {
      const { message, dependency, error } = JSON.parse(line);
      return [level, message, dependency, error?.message];
    });
    assertEquals(logged, [
      ["warn", "Redis is unavailable", "Redis", "ECONNREFUSED"],
      ["info", "Redis is available again", "Redis", undefined],
    ]);
  } finally {
    configureLogging(previous);
  }
});

Deno.test({
  name: "serveOps(): /healthz, /readyz and /metrics on their own port, 404 elsewhere",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  let answering = true;
  const readiness = new Readiness([{
    name: "PostgreSQL",
    check: () => answering ? Promise.resolve() : Promise.reject(new Error("down")),
  }], { log: quiet });
  const server = await serveOps({ host: "127.0.0.1", port: 0, readiness, log: quiet });
  try {
    assertEquals(server.url, `http://127.0.0.1:${server.port}/metrics`);
    const base = `http://127.0.0.1:${server.port}`;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return [
        response.status,
        response.headers.get("content-type"),
        await response.text(),
      ] as const;
    };
    assertEquals((await get("/healthz")).slice(0, 1), [200]);
    assertEquals(JSON.parse((await get("/readyz"))[2]), { status: "ready" });
    answering = false;
    const [status, , body] = await get("/readyz");
    assertEquals([status, JSON.parse(body)], [
      503,
      { error: { code: "unavailable", message: "PostgreSQL is unavailable" } },
    ]);
    const [metricsStatus, type, text] = await get("/metrics");
    assertEquals(metricsStatus, 200);
    assert(type?.startsWith("text/plain; version=0.0.4"), `content type ${type}`);
    assert(/^# TYPE im_ready gauge$/m.test(text));
    assert(/^im_ready 0$/m.test(text), "the gauge as /readyz last answered");
    assert(/^process_resident_memory_bytes \d+/m.test(text));
    const [missing, , error] = await get("/api/me");
    assertEquals([missing, JSON.parse(error)], [
      404,
      { error: { code: "not_found", message: "No route /api/me" } },
    ]);
  } finally {
    await server.shutdown();
  }
});

/** A logger for the tests that make dependencies fail on purpose. */
const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  enabled: () => false,
  child() {
    return quiet;
  },
};

Deno.test("a check that hangs past its timeout is not asked again until it answers", async () => {
  let calls = 0;
  let answer = () => {};
  let hangs = true;
  const stuck: Dependency = {
    name: "Redis",
    check: () => {
      calls++;
      return hangs ? new Promise<void>((resolve) => answer = resolve) : Promise.resolve();
    },
  };
  const readiness = new Readiness([stuck], { timeoutMs: 50, log: quiet });
  for (let i = 0; i < 4; i++) assertEquals(await readiness.check(), ["Redis"]);
  assertEquals(calls, 1, "four probes, one call still waiting");
  hangs = false;
  answer();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(await readiness.check(), []);
  assertEquals(calls, 2, "once it answered, the next probe asks again");
});
