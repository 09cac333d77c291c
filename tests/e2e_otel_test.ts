/**
 * End-to-end: with `OTEL_EXPORTER_OTLP_ENDPOINT` set and `OTEL_DENO=true` (which the cluster
 * script adds itself), the spans of one message's way are exported over OTLP in one trace: the
 * `send` of connect (a child of the `traceparent` the client put on its frame), logic's spans,
 * and the `store` of task.
 */
import { assertEquals } from "./assert.ts";
import { collector, otelEnv, tracedMessage } from "./_otel.ts";
import { e2eMode, startServer } from "./harness.ts";

Deno.test({
  name:
    "OpenTelemetry: one message's spans, from connect's send to task's store, are exported in its trace",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const otlp = collector();
  const embedded = e2eMode() === "embedded";
  const server = await startServer({
    env: {
      ...otelEnv(otlp),
      OTEL_DENO: "true",
      // A cluster names each layer's service itself (im-connect, im-task, …).
      ...(embedded ? { OTEL_SERVICE_NAME: "im-otel-test" } : {}),
    },
  });
  try {
    const { path, trace } = await tracedMessage(server.url, otlp);
    const [send, store] = [path[0], path[path.length - 1]];
    if (embedded) {
      assertEquals([...new Set(trace.map((span) => span.service))], ["im-otel-test"]);
    } else {
      assertEquals([send.service, store.service], ["im-connect", "im-task"]);
    }
  } finally {
    await server.stop();
    await otlp.stop();
  }
});
