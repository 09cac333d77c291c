/**
 * Trace context: one trace id follows a message from the client's frame through connect, logic,
 * the message log, task and the push, and appears in every log line on the way.
 *
 * It travels as a W3C `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`):
 * - connect → logic: the `traceparent` gRPC metadata of the call (in process: the active trace);
 * - logic → task: a `traceparent` Kafka header of the record (`LogRecord.trace` in process);
 * - task → connect: `PushItem.traceparent`.
 * A client may send its own `traceparent` on a `send` frame or as an HTTP header; a malformed one
 * is ignored (a new trace starts), never an error.
 *
 * With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the entry points run with `OTEL_DENO=true` and spans
 * are Deno's built-in OpenTelemetry spans, exported over OTLP; otherwise the ids are made here
 * and only the logs carry them.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  context as otelContext,
  type Span as OtelSpan,
  SpanKind,
  SpanStatusCode,
  trace as otelTrace,
} from "@opentelemetry/api";

/** One span's place in its trace. */
export interface Trace {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** `00-<traceId>-<spanId>-01`. */
  traceparent: string;
}

/** A span in progress: its ids, and `end()` once its work is done. */
export interface Span extends Trace {
  setAttributes(attributes: Record<string, string | number | boolean>): void;
  /** Ends the span; an error marks it failed. Calling it again does nothing. */
  end(error?: unknown): void;
}

export type SpanKindName = "internal" | "server" | "client" | "producer" | "consumer";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZEROS_32 = "0".repeat(32);
const ZEROS_16 = "0".repeat(16);

const storage = new AsyncLocalStorage<Trace | undefined>();

function otelEnabled(): boolean {
  try {
    return Deno.env.get("OTEL_DENO") === "true";
  } catch {
    return false;
  }
}
const OTEL = otelEnabled();
const tracer = otelTrace.getTracer("im");

/** Two hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
/**
 * Random bytes for ids, drawn 4 KiB at a time: three spans a message each asking the system for
 * 8 or 16 bytes, formatted digit by digit, was 2 % of the embedded server's CPU at full load.
 */
const POOL = new Uint8Array(4096);
let pooled = POOL.length;

function hex(bytes: number): string {
  if (pooled + bytes > POOL.length) {
    crypto.getRandomValues(POOL);
    pooled = 0;
  }
  let out = "";
  for (let i = pooled; i < pooled + bytes; i++) out += HEX[POOL[i]];
  pooled += bytes;
  return out;
}

function traceOf(traceId: string, spanId: string): Trace {
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The trace a `traceparent` names, or null when it is missing or malformed. */
export function parseTraceparent(value: unknown): Trace | null {
  if (typeof value !== "string" || value.length !== 55) return null;
  const match = TRACEPARENT.exec(value);
  if (!match || match[1] === ZEROS_32 || match[2] === ZEROS_16) return null;
  return traceOf(match[1], match[2]);
}

/** The trace of the work in progress (set by `withTrace`), if any. */
export function currentTrace(): Trace | undefined {
  const own = storage.getStore();
  if (own) return own;
  if (!OTEL) return undefined;
  const active = otelTrace.getSpan(otelContext.active())?.spanContext();
  if (!active || active.traceId === ZEROS_32) return undefined;
  return traceOf(active.traceId, active.spanId);
}

/** Runs `fn` with `trace` as the current trace (for its log lines and the calls it makes). */
export function withTrace<T>(trace: Trace | undefined | null, fn: () => T): T {
  if (!trace) return fn();
  if (!OTEL) return storage.run(trace, fn);
  const parent = otelTrace.setSpanContext(otelContext.active(), {
    traceId: trace.traceId,
    spanId: trace.spanId,
    traceFlags: 1,
    isRemote: true,
  });
  return storage.run(trace, () => otelContext.with(parent, fn));
}

/**
 * Runs `fn` outside any trace: for work shared by many traced callers that one of them happened to
 * start (a batch of sends, a produce request), so that its own log lines, spans and the callbacks
 * it schedules do not take that caller's trace.
 */
export function outsideTrace<T>(fn: () => T): T {
  // Not `storage.exit()`: Deno's keeps the outer store for the callbacks `fn` schedules.
  if (!OTEL) return storage.run(undefined, fn);
  return storage.run(
    undefined,
    () => otelContext.with(otelTrace.deleteSpan(otelContext.active()), fn),
  );
}

const KINDS: Record<SpanKindName, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

/**
 * Starts a span: a child of `parent` (a traceparent or trace). Without `parent` (undefined) it is
 * a child of the current trace, else the first of a new trace; `parent: null` always starts a new
 * trace, for work of its own that happens to run within another's (a record without a trace
 * stored in a batch with traced ones must not take their trace), and so does a malformed
 * traceparent.
 */
export function startSpan(
  name: string,
  options: {
    parent?: string | Trace | null;
    kind?: SpanKindName;
    attributes?: Record<string, string | number | boolean>;
  } = {},
): Span {
  const parent = options.parent === undefined
    ? currentTrace() ?? null
    : typeof options.parent === "string"
    ? parseTraceparent(options.parent)
    : options.parent;
  if (!OTEL) {
    const own = traceOf(parent?.traceId ?? hex(16), hex(8));
    return { ...own, setAttributes() {}, end() {} };
  }
  const context = parent
    ? otelTrace.setSpanContext(otelContext.active(), {
      traceId: parent.traceId,
      spanId: parent.spanId,
      traceFlags: 1,
      isRemote: true,
    })
    // A root: without the active span, which OpenTelemetry would otherwise make the parent.
    : otelTrace.deleteSpan(otelContext.active());
  const span: OtelSpan = tracer.startSpan(
    name,
    { kind: KINDS[options.kind ?? "internal"], attributes: options.attributes },
    context,
  );
  const ids = span.spanContext();
  let ended = false;
  return {
    ...traceOf(ids.traceId, ids.spanId),
    setAttributes: (attributes) => span.setAttributes(attributes),
    end(error?: unknown) {
      if (ended) return;
      ended = true;
      if (error !== undefined) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      span.end();
    },
  };
}
