/**
 * Every process of a cluster answers `/healthz`, `/readyz` and `/metrics` at the URL its
 * metrics line names: api and connect on their HTTP port, logic and task on IM_METRICS_PORT.
 * With an OTLP endpoint set, the cluster script runs every process with OpenTelemetry on.
 * Needs `deno task infra:up`; runs when IM_CLUSTER_TESTS=1.
 */
import { assert, assertEquals } from "./assert.ts";
import { collector, otelEnv, tracedMessage } from "./_otel.ts";
import { TEST_ENV } from "./harness.ts";
import { clusterTestsEnabled, startIsolatedCluster } from "./infra.ts";

const opts = { ignore: !clusterTestsEnabled(), sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "cluster: every process answers /healthz, /readyz and /metrics at its metrics URL",
  ...opts,
}, async () => {
  const cluster = await startIsolatedCluster(TEST_ENV);
  try {
    const urls = cluster.processes.map((p) => p.metricsUrl);
    assertEquals(urls.filter((url) => url === undefined), [], "every process named its URL");
    assertEquals(new Set(urls).size, urls.length, "each its own port");
    for (const process of cluster.processes) {
      const metricsUrl = new URL(process.metricsUrl!);
      const at = (path: string) => fetch(new URL(path, metricsUrl));
      const health = await at("/healthz");
      assertEquals([process.name, health.status, await health.json()], [
        process.name,
        200,
        { status: "ok" },
      ]);
      const ready = await at("/readyz");
      assertEquals([process.name, ready.status, await ready.json()], [
        process.name,
        200,
        { status: "ready" },
      ]);
      const metrics = await at("/metrics");
      assertEquals(metrics.status, 200);
      assert(metrics.headers.get("content-type")?.startsWith("text/plain; version=0.0.4"));
      const text = await metrics.text();
      assert(/^im_ready 1$/m.test(text), `${process.name}: im_ready 1`);
      assert(/^process_resident_memory_bytes [1-9]\d*$/m.test(text), `${process.name}: memory`);
      assert(/^# TYPE im_sends_total counter$/m.test(text), `${process.name}: im_ metrics`);
      // logic and task have no other route on that port.
      if (process.layer === "logic" || process.layer === "task") {
        const other = await at("/api/me");
        assertEquals([other.status, (await other.json()).error.code], [404, "not_found"]);
      }
    }
    // The start lines are JSON lines naming the layer and the instance.
    for (const process of cluster.processes) {
      const lines = process.output.join("").split("\n").filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line));
      const metricsLine = lines.find((line) => /^metrics on /.test(line.message));
      assertEquals(metricsLine?.layer, process.layer);
      if (process.layer !== "api") assertEquals(metricsLine?.instance, process.name);
    }
  } finally {
    await cluster.stop();
  }
});

Deno.test({
  name:
    "cluster: with OTEL_EXPORTER_OTLP_ENDPOINT set, one message's spans come from connect, logic and task in one trace",
  ...opts,
}, async () => {
  const otlp = collector();
  // No OTEL_DENO here: the cluster script adds it, and a service name per layer.
  const cluster = await startIsolatedCluster({ ...TEST_ENV, ...otelEnv(otlp) });
  try {
    for (const process of cluster.processes) {
      assertEquals(
        [process.env.OTEL_DENO, process.env.OTEL_SERVICE_NAME],
        ["true", `im-${process.layer}`],
      );
    }
    const { path } = await tracedMessage(cluster.url, otlp);
    assertEquals(path[0].service, "im-connect");
    assertEquals(path[path.length - 1].service, "im-task");
    assert(path.some((span) => span.service === "im-logic"), path.map((s) => s.service).join());
  } finally {
    await cluster.stop();
    await otlp.stop();
  }
});
