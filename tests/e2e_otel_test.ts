/**
 * End-to-end: with `OTEL_EXPORTER_OTLP_ENDPOINT` set (and `OTEL_DENO=true`, which the cluster
 * script adds itself), the spans of one message's way are exported over OTLP in one trace: the
 * `send` of connect (a child of the `traceparent` the client put on its frame) and the `store` of
 * task. The collector here is a few lines of OTLP/HTTP with JSON bodies (`http/json`).
 */
import { assertEquals } from "./assert.ts";
import { collect, e2eMode, eventually, friendPair, startServer } from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** One span as OTLP/JSON carries it (ids as hex), with its service's name. */
interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

interface OtlpValue {
  stringValue?: string;
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: { spans?: Omit<ExportedSpan, "service">[] }[];
  }[];
}

/** An OTLP/HTTP collector on a free loopback port that keeps the spans it is sent. */
function collector() {
  const spans: ExportedSpan[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/v1/traces") {
      const body = await request.json() as OtlpTraces;
      for (const { resource, scopeSpans = [] } of body.resourceSpans ?? []) {
        const service = resource?.attributes?.find((a) => a.key === "service.name")?.value
          .stringValue ?? "";
        for (const scope of scopeSpans) {
          for (const { name, traceId, spanId, parentSpanId } of scope.spans ?? []) {
            spans.push({ service, name, traceId, spanId, parentSpanId });
          }
        }
      }
    } else {
      // Logs and metrics come too; only the spans matter here.
      await request.body?.cancel();
    }
    return Response.json({});
  });
  return { spans, endpoint: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}

function hex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test({
  name:
    "OpenTelemetry: one message's spans, from connect's send to task's store, are exported in its trace",
  ...opts,
}, async () => {
  const otlp = collector();
  const server = await startServer({
    env: {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      // A cluster names each layer's service itself (im-connect, im-task, …).
      ...(e2eMode() === "embedded" ? { OTEL_SERVICE_NAME: "im-otel-test" } : {}),
      // Export each batch of spans soon after it ends.
      OTEL_BSP_SCHEDULE_DELAY: "200",
    },
  });
  try {
    const [a, b] = await friendPair(server.url);
    const pushed = collect(b, "message");
    // The client's own span: what it sends is a child of it.
    const traceId = hex(16);
    const clientSpanId = hex(8);
    const socket = new WebSocket(await a.connectUrl());
    const frames: Record<string, unknown>[] = [];
    socket.onmessage = (event) => frames.push(JSON.parse(event.data));
    await new Promise((resolve) => socket.onopen = resolve);
    socket.send(JSON.stringify({ op: "auth", token: a.token }));
    await eventually(() => frames.some((f) => f.op === "ready"));
    socket.send(JSON.stringify({
      op: "send",
      clientMsgId: "traced-1",
      to: { type: "user", id: b.self!.id },
      content: { type: "text", text: "follow me" },
      traceparent: `00-${traceId}-${clientSpanId}-01`,
    }));
    // Before edge tracing, the frame's `traceparent` was an unknown field: an error frame.
    const answer = await eventually(() => frames.find((f) => f.op === "sent" || f.op === "error"));
    assertEquals(answer.op, "sent", JSON.stringify(answer));
    const received = await eventually(() => pushed.find((m) => m.id === answer.id));
    assertEquals(received.conversationId, answer.conversationId);

    // Each process exports its spans in batches, a little after they end: wait until store's
    // ancestry reaches send through the spans between (logic's accept today).
    const wayUp = () => {
      const ours = otlp.spans.filter((span) => span.traceId === traceId);
      const byId = new Map(ours.map((span) => [span.spanId, span]));
      const store = ours.find((span) => span.name === "store");
      const path = store ? [store] : [];
      while (path[0]?.parentSpanId && byId.has(path[0].parentSpanId)) {
        path.unshift(byId.get(path[0].parentSpanId)!);
      }
      return { ours, path };
    };
    const path = await eventually(() => {
      const { path } = wayUp();
      return path[0]?.name === "send" ? path : null;
    }, 15_000).catch(() => {
      const { ours, path } = wayUp();
      throw new Error(
        `no way from send to store in the trace: ${path.map((s) => s.name).join(" → ")}; ` +
          `spans: ${JSON.stringify(ours)}`,
      );
    });
    const trace = wayUp().ours;
    const send = path[0];
    assertEquals(send.parentSpanId, clientSpanId, "send continues the client's span");
    const store = path[path.length - 1];
    if (e2eMode() === "embedded") {
      assertEquals([...new Set(trace.map((span) => span.service))], ["im-otel-test"]);
    } else {
      assertEquals([send.service, store.service], ["im-connect", "im-task"]);
    }
    socket.close();
    await Promise.all([a.close(), b.close()]);
  } finally {
    await server.stop();
    await otlp.stop();
  }
});
