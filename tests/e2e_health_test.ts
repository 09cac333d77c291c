/**
 * End-to-end: the operations endpoints of the embedded server (`/healthz`, `/readyz`,
 * `/metrics` on its one port) and the lines it writes when it starts. (In a cluster every process
 * answers them too: tests/cluster_health_test.ts.)
 */
import { assert, assertEquals } from "./assert.ts";
import { friendPair, startServer } from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/**
 * The log lines a server wrote: JSON objects, as its output is a pipe (`auto`). (That no other
 * line is written is tests/e2e_logs_test.ts's to check.)
 */
function lines(output: string[]): Record<string, unknown>[] {
  return output.join("").split("\n").filter((line) => line.startsWith("{")).map((line) =>
    JSON.parse(line)
  );
}

/** The metric families a `/metrics` text declares (`# TYPE name kind`). */
function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

Deno.test({
  name: "embedded: /healthz, /readyz and /metrics answer on the server's port",
  ...opts,
}, async () => {
  const server = await startServer({ dataDir: await Deno.makeTempDir({ prefix: "im-health-" }) });
  try {
    const health = await fetch(`${server.url}/healthz`);
    assertEquals([health.status, await health.json()], [200, { status: "ok" }]);
    const ready = await fetch(`${server.url}/readyz`);
    assertEquals([ready.status, await ready.json()], [200, { status: "ready" }]);

    // Some traffic first, so the counters of a send have something to count.
    const [a, b] = await friendPair(server.url);
    await a.send({ type: "user", id: b.self!.id }, { type: "text", text: "counted" });
    await Promise.all([a.close(), b.close()]);

    const metrics = await fetch(`${server.url}/metrics`);
    assertEquals(metrics.status, 200);
    const type = metrics.headers.get("content-type") ?? "";
    assert(type.startsWith("text/plain; version=0.0.4"), `content type ${type}`);
    const text = await metrics.text();
    const declared = families(text);
    for (
      const [name, kind] of [
        ["im_connections_open", "gauge"],
        ["im_sends_total", "counter"],
        ["im_send_accept_seconds", "histogram"],
        ["im_message_store_delay_seconds", "histogram"],
        ["im_consumer_lag", "gauge"],
        ["im_ready", "gauge"],
        ["process_resident_memory_bytes", "gauge"],
        ["nodejs_eventloop_lag_p99_seconds", "gauge"],
        ["nodejs_heap_size_used_bytes", "gauge"],
      ]
    ) assertEquals(declared.get(name), kind, `${name} is a ${kind}`);
    assert(/^im_ready 1$/m.test(text), "ready, as /readyz said");
    assert(/^process_resident_memory_bytes [1-9]\d*$/m.test(text), "its memory is measured");
    // Every line is a comment or `name{labels} value` (a scraper refuses the whole text else).
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("# ")) continue;
      assert(/^[a-zA-Z_:][\w:]*(\{[^}]*\})? [-+\w.]+$/.test(line), `a sample line: ${line}`);
    }
  } finally {
    await server.stop();
  }
});

Deno.test({
  name: "embedded: its start lines say where it listens and where its metrics are, as JSON lines",
  ...opts,
}, async () => {
  const server = await startServer({ dataDir: await Deno.makeTempDir({ prefix: "im-health-" }) });
  try {
    const [a, b] = await friendPair(server.url);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await server.stop();
  }
  const all = lines(server.output);
  for (const line of all) {
    for (const field of ["time", "level", "layer", "instance", "message"]) {
      assert(typeof line[field] === "string", `${field} in ${JSON.stringify(line)}`);
    }
    assertEquals(line.layer, "embedded");
  }
  const port = new URL(server.url).port;
  const started = all.filter((line) => line.level === "info").map((line) => line.message);
  assert(started.includes(`listening on http://127.0.0.1:${port}`), started.join("\n"));
  assert(started.includes(`metrics on http://127.0.0.1:${port}/metrics`), started.join("\n"));
  assert(started.includes("stopped"), "and that it stopped");
  assert(all.every((line) => line.instance !== ""), "every line names the instance");
});
