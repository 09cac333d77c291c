/**
 * OpenTelemetry in the end-to-end tests: a collector of OTLP/HTTP with JSON bodies
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) on a free loopback port, and one message sent on a
 * trace the test chose, followed through the spans the processes export.
 */
import { assertEquals } from "./assert.ts";
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

function hex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Sends one message between two new friends from a WebSocket whose `send` frame carries a
 * `traceparent` of the test's own, waits for its push, then for its spans: resolves with the
 * chain from connect's `send` (checked to be the child of the frame's span) down to task's
 * `store`, through whatever spans lie between, and every span of the trace.
 */
export async function tracedMessage(
  url: string,
  otlp: Collector,
): Promise<{ path: ExportedSpan[]; trace: ExportedSpan[] }> {
  const [a, b] = await friendPair(url);
  const pushed = collect(b, "message");
  const traceId = hex(16);
  const clientSpanId = hex(8);
  const socket = new WebSocket(await a.connectUrl());
  try {
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
    const answer = await eventually(() => frames.find((f) => f.op === "sent" || f.op === "error"));
    assertEquals(answer.op, "sent", JSON.stringify(answer));
    const received = await eventually(() => pushed.find((m) => m.id === answer.id), 10_000);
    assertEquals(received.conversationId, answer.conversationId);
  } finally {
    socket.close();
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
  assertEquals(found.path[0].parentSpanId, clientSpanId, "send continues the client's span");
  return found;
}
