/**
 * The operations kit (ops/): the Grafana dashboard is a dashboard, every metric the dashboard
 * and the alert rules name exists in shared/metrics.ts, and Prometheus itself loads the rules
 * (promtool checks them; a real Prometheus evaluates each and shows its labels and annotations).
 */
import { assert, assertEquals } from "./assert.ts";
import { eventually } from "./harness.ts";
import { registry } from "../shared/metrics.ts";
import { probe } from "../scripts/healthcheck.ts";
import {
  ignoreWithout,
  prometheusBinary,
  promtoolBinary,
  required,
  startPrometheus,
} from "./prometheus.ts";

const OPS = new URL("../ops/", import.meta.url).pathname;
const ALERTS = `${OPS}prometheus/alerts.yml`;
const SCRAPE_CONFIG = `${OPS}prometheus/prometheus.yml`;
const DASHBOARD = `${OPS}grafana/dashboard.json`;

/** A metric name as PromQL and the texts write it: our own and prom-client's defaults. */
const METRIC_NAME = /\b(?:im|process|nodejs)_[a-z0-9_]*[a-z0-9]\b/g;

/** The names a query may use: each metric's, and a histogram's series. */
async function knownNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(metric.name + suffix);
    }
  }
  return names;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; refId: string }[];
}

async function dashboard() {
  return JSON.parse(await Deno.readTextFile(DASHBOARD)) as {
    schemaVersion: number;
    uid: string;
    __inputs: { name: string; type: string; pluginId: string }[];
    templating: { list: { name: string }[] };
    panels: Panel[];
  };
}

Deno.test("dashboard.json is a Grafana dashboard whose panels have unique ids and queries", async () => {
  const board = await dashboard();
  assert(board.schemaVersion >= 36, `schemaVersion ${board.schemaVersion}`);
  assert(board.uid, "a stable uid, so an import replaces the old copy");
  assertEquals(
    board.__inputs.map((input) => [input.name, input.type, input.pluginId]),
    [["DS_PROMETHEUS", "datasource", "prometheus"]],
  );
  assert(board.templating.list.some((variable) => variable.name === "DS_PROMETHEUS"));
  const ids = board.panels.map((panel) => panel.id);
  assertEquals(new Set(ids).size, ids.length, "panel ids are unique");
  const graphs = board.panels.filter((panel) => panel.type !== "row");
  assert(graphs.length >= 20, `${graphs.length} panels`);
  for (const panel of graphs) {
    assert(panel.targets && panel.targets.length > 0, `${panel.title} has no query`);
    assertEquals(panel.datasource?.uid, "${DS_PROMETHEUS}", panel.title);
    const refIds = panel.targets.map((t) => t.refId);
    assertEquals(new Set(refIds).size, refIds.length, `${panel.title}: refIds are unique`);
    for (const { expr } of panel.targets) assert(expr.trim(), `${panel.title}: empty query`);
  }
});

Deno.test("dashboard.json charts every metric of shared/metrics.ts and names no other", async () => {
  const known = await knownNames();
  const text = await Deno.readTextFile(DASHBOARD);
  const used = new Set(text.match(METRIC_NAME));
  const unknown = [...used].filter((name) => !known.has(name));
  assertEquals(unknown, [], "metric names the dashboard uses that no process exposes");
  const queries = (await dashboard()).panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => t.expr)
  ).join("\n");
  const ours = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((name) =>
    name.startsWith("im_")
  );
  const missing = ours.filter((name) =>
    !new RegExp(`\\b${name}(_bucket|_sum|_count)?\\b`).test(queries)
  );
  assertEquals(missing, [], "metrics of shared/metrics.ts without a panel");
  for (
    const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_heap_size_used_bytes",
    ]
  ) {
    assert(queries.includes(name), `${name} has a panel`);
  }
});

Deno.test("alerts.yml names only metrics the processes expose", async () => {
  const known = await knownNames();
  const used = new Set((await Deno.readTextFile(ALERTS)).match(METRIC_NAME));
  assert(used.size >= 8, `${used.size} metric names`);
  const unknown = [...used].filter((name) => !known.has(name));
  assertEquals(unknown, [], "metric names the alerts use that no process exposes");
});

const promtool = promtoolBinary();

Deno.test({
  name: `promtool checks alerts.yml and prometheus.yml${promtool ? "" : " (ignored: no promtool)"}`,
  ignore: ignoreWithout(promtool),
}, async () => {
  const tool = required(promtool, "promtool");
  for (const args of [["check", "rules", ALERTS], ["check", "config", SCRAPE_CONFIG]]) {
    const { code, stdout, stderr } = await new Deno.Command(tool, { args }).output();
    const printed = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assertEquals(code, 0, `promtool ${args.join(" ")}:\n${printed}`);
  }
});

const prometheus = prometheusBinary();

interface Rule {
  name: string;
  type: string;
  query: string;
  duration: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

Deno.test({
  name: `Prometheus evaluates every alert of alerts.yml, each with a delay, a severity and advice${
    prometheus ? "" : " (ignored: no prometheus)"
  }`,
  ignore: ignoreWithout(prometheus),
}, async () => {
  const server = await startPrometheus({ ruleFiles: [ALERTS], interval: "1s" });
  try {
    const rules = async () =>
      (await server.api<{ groups: { rules: Rule[] }[] }>("/api/v1/rules")).groups.flatMap((
        group,
      ) => group.rules);
    const deadline = Date.now() + 15_000;
    // Until every rule has been evaluated once (its first evaluation is within one interval).
    while ((await rules()).some((rule) => rule.lastEvaluation.startsWith("0001"))) {
      assert(Date.now() < deadline, "rules were not evaluated in 15 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const all = await rules();
    const names = all.map((rule) => rule.name);
    for (
      const name of [
        "ImLayerUnavailable",
        "ImSendErrors",
        "ImHttpServerErrors",
        "ImRedeliveriesRising",
        "ImSendAcceptSlow",
        "ImStoreDelaySlow",
        "ImConsumerLagGrowing",
        "ImEventLoopDelayHigh",
      ]
    ) assert(names.includes(name), `alert ${name}`);
    assertEquals(new Set(names).size, names.length, "alert names are unique");
    for (const rule of all) {
      assertEquals(rule.type, "alerting", rule.name);
      assertEquals(rule.health, "ok", `${rule.name}: ${rule.lastError}`);
      assert(rule.duration >= 60, `${rule.name} waits at least a minute (for:)`);
      assert(["warning", "critical"].includes(rule.labels.severity), `${rule.name} severity`);
      assert(rule.annotations.summary?.length > 10, `${rule.name} summary`);
      assert(rule.annotations.description?.length > 80, `${rule.name} says what to check`);
    }
    console.log(`alerts.yml: ${all.length} alerts evaluated: ${names.join(", ")}`);
  } finally {
    await server.stop();
  }
});

Deno.test("healthcheck probe() passes a 2xx and fails a 503 or a closed port, saying why", async () => {
  let status = 200;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      status === 200
        ? Response.json({ status: "ok" })
        : Response.json({ error: { code: "unavailable", message: "kafka is unavailable" } }, {
          status,
        }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/readyz`;
  try {
    assertEquals(await probe(url), null);
    status = 503;
    const failure = await probe(url);
    assert(failure?.includes("answered 503") && failure.includes("kafka is unavailable"), failure!);
  } finally {
    await server.shutdown();
  }
  assert((await probe(url, 1_000))?.includes("did not answer"));
});

/**
 * The exposition of one process after `n` scrapes, sick or healthy: counters grow at a fixed
 * step a scrape, so rates are what the scenario says from the second scrape on.
 */
function exposition(n: number, sick: boolean): string {
  const histogram = (name: string, slowBucket: string) => {
    // Healthy: every observation under 10 ms; sick: all in the bucket ending at slowBucket.
    const le = sick ? slowBucket : "0.01";
    return [
      `# TYPE ${name} histogram`,
      `${name}_bucket{le="0.005"} 0`,
      `${name}_bucket{le="${le}"} ${10 * n}`,
      `${name}_bucket{le="+Inf"} ${10 * n}`,
      `${name}_sum ${Number(le) * 10 * n}`,
      `${name}_count ${10 * n}`,
    ];
  };
  return [
    `im_ready ${sick ? 0 : 1}`,
    `im_sends_total{result="accepted",code="ok"} ${100 * n}`,
    `im_sends_total{result="refused",code="internal"} ${sick ? 10 * n : 0}`,
    `im_sends_total{result="refused",code="rate_limited"} ${10 * n}`,
    `im_http_requests_total{method="GET",status="2xx"} ${100 * n}`,
    `im_http_requests_total{method="GET",status="5xx"} ${sick ? 10 * n : 0}`,
    // Large steps: rate() divides by the whole 5 m window, of which the test fills seconds.
    `im_frames_sent_total{op="message"} ${10_000 * n}`,
    `im_redeliveries_total ${sick ? 1000 * n : 0}`,
    ...histogram("im_send_accept_seconds", "0.25"),
    ...histogram("im_message_store_delay_seconds", "1"),
    ...histogram("im_message_push_delay_seconds", "0.5"),
    `im_consumer_lag{partition="0"} ${sick ? 60_000 + 1000 * n : 0}`,
    `im_consumer_lag{partition="1"} ${sick ? 500 : 0}`,
    `nodejs_eventloop_lag_p99_seconds ${sick ? 0.3 : 0.02}`,
    "",
  ].join("\n");
}

/** The alerts (pending or firing) Prometheus shows after scraping a process `sick` or not. */
async function alertsFor(sick: boolean): Promise<Map<string, string[]>> {
  let scrapes = 0;
  const exporter = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(exposition(++scrapes, sick), { headers: { "content-type": "text/plain" } }),
  );
  // A sick cluster also has a layer whose only instance is gone (nothing listens there).
  const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const goneAddress = `127.0.0.1:${(gone.addr as Deno.NetAddr).port}`;
  gone.close();
  const jobs: Record<string, string[]> = { im: [`127.0.0.1:${exporter.addr.port}`] };
  if (sick) jobs.gone = [goneAddress];
  const server = await startPrometheus({ jobs, ruleFiles: [ALERTS], interval: "1s" });
  try {
    // Rates and deltas need two scrapes, then one evaluation: wait for five scrapes (the first
    // comes some 5 s after the start, when target discovery first reports).
    await eventually(() => scrapes >= 5, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { alerts } = await server.api<{ alerts: { labels: Record<string, string> }[] }>(
      "/api/v1/alerts",
    );
    const byName = new Map<string, string[]>();
    for (const { labels } of alerts) {
      const list = byName.get(labels.alertname) ?? [];
      list.push(labels.job ?? "");
      byName.set(labels.alertname, list);
    }
    return byName;
  } finally {
    await server.stop();
    await exporter.shutdown();
  }
}

Deno.test({
  name: `alerts.yml: a sick system's metrics set off every alert, a healthy one's none${
    prometheus ? "" : " (ignored: no prometheus)"
  }`,
  ignore: ignoreWithout(prometheus),
}, async () => {
  const [healthy, sick] = await Promise.all([alertsFor(false), alertsFor(true)]);
  assertEquals([...healthy.keys()], [], "no alert for a healthy process");
  console.log(
    `alerts of a sick system: ${[...sick].map(([name, jobs]) => `${name}(${jobs})`).join(", ")}`,
  );
  const names = (await Deno.readTextFile(ALERTS)).match(/(?<=- alert: )\w+/g)!;
  assertEquals([...sick.keys()].sort(), [...names].sort(), "every alert goes off");
  assertEquals(sick.get("ImLayerUnavailable")?.sort(), ["gone", "im"]);
  assertEquals(sick.get("ImInstanceDown"), ["gone"]);
});
