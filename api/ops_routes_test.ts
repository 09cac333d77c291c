/** The operations routes of the api (and embedded) port: /healthz, /readyz and /metrics. */
import { assert, assertEquals } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import { sends } from "../shared/metrics.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import { addressMatcher } from "../shared/address_match.ts";
import { createApi } from "./mod.ts";

/** An api whose logic answers `ready()` as `logicReady` says, and that counts the calls. */
function api(options: { ready?: { name: string; check: () => Promise<void> }[] } = {}) {
  const state = { logicReady: true, readyCalls: 0 };
  const logic = {
    ready: () => {
      state.readyCalls++;
      return state.logicReady
        ? Promise.resolve()
        : Promise.reject(new AppError("unavailable", "No logic instance is registered"));
    },
  } as unknown as LogicService;
  const { handle } = createApi({ logic, connectUrl: () => "/ws", ...options });
  const get = (path: string) => handle(new Request(`http://im.test${path}`));
  return { state, get };
}

Deno.test("GET /healthz is 200 while the process serves, whatever logic says", async () => {
  const { state, get } = api();
  state.logicReady = false;
  const response = await get("/healthz");
  assertEquals([response.status, await response.json()], [200, { status: "ok" }]);
  assertEquals(state.readyCalls, 0);
});

Deno.test("GET /readyz asks logic by default: 200, or 503 saying logic is unavailable", async () => {
  const { state, get } = api();
  let response = await get("/readyz");
  assertEquals([response.status, await response.json()], [200, { status: "ready" }]);
  state.logicReady = false;
  response = await get("/readyz");
  assertEquals([response.status, await response.json()], [
    503,
    { error: { code: "unavailable", message: "logic is unavailable" } },
  ]);
});

Deno.test("GET /readyz asks the dependencies the process names (the api process: logic and etcd)", async () => {
  let etcd = true;
  const { state, get } = api({
    ready: [
      { name: "logic", check: () => Promise.resolve() },
      { name: "etcd", check: () => etcd ? Promise.resolve() : Promise.reject(new Error("down")) },
    ],
  });
  assertEquals((await get("/readyz")).status, 200);
  etcd = false;
  const response = await get("/readyz");
  assertEquals([response.status, await response.json()], [
    503,
    { error: { code: "unavailable", message: "etcd is unavailable" } },
  ]);
  assertEquals(state.readyCalls, 0, "the named checks replace the default");
});

Deno.test("GET /metrics is the Prometheus text of this process's metrics", async () => {
  const { get } = api();
  sends.inc({ result: "accepted", code: "ok" });
  const response = await get("/metrics");
  assertEquals(response.status, 200);
  const type = response.headers.get("content-type") ?? "";
  assert(type.startsWith("text/plain; version=0.0.4"), type);
  const text = await response.text();
  assert(/^# TYPE im_sends_total counter$/m.test(text), "im_sends_total is declared");
  assert(/^im_sends_total\{result="accepted",code="ok"\} [1-9]/m.test(text), "and counted");
  assert(/^im_ready 1$/m.test(text), "readiness checked before the scrape");
  assert(/^process_resident_memory_bytes \d+/m.test(text), "process metrics come too");
  assert(/^nodejs_eventloop_lag_p99_seconds /m.test(text), "and the event loop's delay");
});

Deno.test("GET /metrics from an address outside IM_METRICS_FROM is 404, as a path that does not exist", async () => {
  const logic = { ready: () => Promise.resolve() } as unknown as LogicService;
  const { handle } = createApi({
    logic,
    connectUrl: () => "/ws",
    metricsFrom: addressMatcher(["127.0.0.0/8", "10.0.0.0/8"]),
  });
  const get = (path: string, address: string) =>
    handle(new Request(`http://im.test${path}`), address);
  const outside = await get("/metrics", "203.0.113.9");
  assertEquals([outside.status, (await outside.json()).error.code], [404, "not_found"]);
  const inside = await get("/metrics", "::ffff:10.2.3.4");
  assertEquals(inside.status, 200);
  await inside.body?.cancel();
  // Health stays open to every address: load balancers probe from anywhere.
  const health = await get("/healthz", "203.0.113.9");
  assertEquals(health.status, 200);
  await health.body?.cancel();
});
