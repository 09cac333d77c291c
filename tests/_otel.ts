/**
 * OpenTelemetry in the end-to-end tests: a collector of OTLP/HTTP with JSON bodies
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) on a free loopback port, and one message sent on a
 * trace the test chose, followed through the spans the processes export.
 */
import { assert, assertEquals } from "./assert.ts";
import { sendTraced } from "./_traced_send.ts";
import { collect, eventually, friendPair } from "./harness.ts";

/** One span as OTLP/JSON carries it (ids as hex), with its service's name. */
export interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: Omit<ExportedSpan, "service">[] }[];
  }[];
}

/** A running collector: the spans it was sent so far. */
export interface Collector {
  spans: ExportedSpan[];
  /** For `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts a collector that keeps the spans it is sent (logs and metrics come too: dropped). */
export function collector(): Collector {
  const spans: ExportedSpan[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    if (new URL(request.url).pathname !== "/v1/traces") {
      await request.body?.cancel();
      return Response.json({});
    }
    const body = await request.json() as OtlpTraces;
    for (const { resource, scopeSpans = [] } of body.resourceSpans ?? []) {
      const service = resource?.attributes?.find((a) =>
        a.key === "service.name"
      )?.value.stringValue ?? "";
      for (const scope of scopeSpans) {
        for (const { name, traceId, spanId, parentSpanId } of scope.spans ?? []) {
          spans.push({ service, name, traceId, spanId, parentSpanId });
        }
      }
    }
    return Response.json({});
  });
  return { spans, endpoint: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}

/** What a process needs to export its spans to `collector` soon after they end. */
export function otelEnv(collector: Collector): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_BSP_SCHEDULE_DELAY: "200",
  };
}

/**
 * Sends one message between two new friends with a `traceparent` of the test's own on its
 * `send` frame (tests/_traced_send.ts), waits for its push, then for its spans: resolves with the
 * chain from connect's `send` down to task's `store`, through whatever spans lie between, and
 * every span of the trace.
 */
export async function tracedMessage(
  url: string,
  otlp: Collector,
): Promise<{ path: ExportedSpan[]; trace: ExportedSpan[] }> {
  const [a, b] = await friendPair(url);
  let traceId: string;
  try {
    const pushed = collect(b, "message");
    const sent = await sendTraced(a, b.self!.id, "follow me");
    traceId = sent.traceId;
    const received = await eventually(() => pushed.find((m) => m.id === sent.messageId), 10_000);
    assertEquals(received.conversationId, sent.conversationId);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }

  // Each process exports its spans in batches, a little after they end: wait until store's
  // ancestry reaches send.
  const wayUp = () => {
    const trace = otlp.spans.filter((span) => span.traceId === traceId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const store = trace.find((span) => span.name === "store");
    const path = store ? [store] : [];
    while (path[0]?.parentSpanId && byId.has(path[0].parentSpanId)) {
      path.unshift(byId.get(path[0].parentSpanId)!);
    }
    return { path, trace };
  };
  const found = await eventually(() => {
    const way = wayUp();
    return way.path[0]?.name === "send" ? way : null;
  }, 15_000).catch(() => {
    const { path, trace } = wayUp();
    throw new Error(
      `no way from send to store in the trace: ${path.map((s) => s.name).join(" → ")}; ` +
        `spans: ${JSON.stringify(trace)}`,
    );
  });
  // send's parent is the client's span, which only the client knows.
  const parent = found.path[0].parentSpanId;
  assert(/^[0-9a-f]{16}$/.test(parent), `send's parent: ${parent}`);
  assert(!found.trace.some((span) => span.spanId === parent), "send continues the client's span");
  return found;
}
