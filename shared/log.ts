/**
 * The logger port: every line a process writes about itself goes through here (the CLI tools,
 * `scripts/` and `bench/`, print for a person and may use `console` directly).
 *
 * A line has the time, level, layer (`embedded`, `api`, `logic`, `task`, `connect`), instance,
 * message and fields; where they apply a `traceId` (taken from the active trace when the caller
 * gives none), `messageId` and `conversationId`. Two formats (`IM_LOG_FORMAT`):
 * - `json`: one JSON object a line, the default when standard output is not a terminal:
 *   `{"time":"2026-12-02T07:40:01.123Z","level":"info","layer":"logic","instance":"logic-1",
 *   "message":"gRPC on 127.0.0.1:7001","workerId":1}`
 * - `pretty`: `07:40:01.123 INFO  logic logic-1 gRPC on 127.0.0.1:7001 workerId=1`, the default
 *   on a terminal. A message or value with a line break or another control character is written
 *   as a JSON string, so no text can forge a line of its own (or reach the terminal as escapes).
 *
 * Never a secret or a message's text: a field whose name says password, token, secret,
 * authorization, cookie, text, content or body is written as `"[redacted]"`, at any depth. An
 * `error` field is written as its name, code, message (and stack, at level error) and its chain of
 * causes, cut where it loops or runs long.
 *
 * debug and info go to standard output, warn and error to standard error.
 */
import { currentTrace } from "./trace.ts";

/** How much a line matters; lines below `IM_LOG_LEVEL` are not written. */
export type Level = "debug" | "info" | "warn" | "error";
export const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"];
/** `auto`: `pretty` on a terminal, else `json`. */
export type LogFormat = "json" | "pretty" | "auto";

/** The fields of one line beyond its message; `undefined` values are left out. */
export type Fields = Record<string, unknown>;

/** The logger port. */
export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  /** Whether a line at `level` would be written (to skip building costly fields). */
  enabled(level: Level): boolean;
  /** A logger whose every line carries `fields` too (e.g. `{ component: "search_indexer" }`). */
  child(fields: Fields): Logger;
}

/** Where lines go and what every line carries; set once per process by `configureLogging`. */
export interface LogSettings {
  format: "json" | "pretty";
  level: Level;
  layer: string;
  instance: string;
  /** Writes one finished line (without its newline); tests capture here. */
  write: (level: Level, line: string) => void;
}

const SECRET_KEY = /password|token|secret|authorization|cookie|^text$|content|^body$/i;
const REDACTED = "[redacted]";
/** Fields deeper than this are cut (a log line is not a dump). */
const MAX_DEPTH = 4;
/** Errors deeper than this are cut: a chain of causes is a few links, never without end. */
const MAX_ERROR_DEPTH = 10;

function defaultWrite(level: Level, line: string): void {
  // The one place that writes with console: it keeps Deno's OpenTelemetry log export working.
  if (level === "warn" || level === "error") console.error(line);
  else console.log(line);
}

function onTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

const settings: LogSettings = {
  format: onTerminal() ? "pretty" : "json",
  level: "info",
  layer: "im",
  instance: "",
  write: defaultWrite,
};

/**
 * Sets this process's format, level, layer and instance (the entry point calls it once its
 * configuration is read; the instance may be set later, when it is known). Returns the settings
 * as they now are.
 */
export function configureLogging(
  options: Partial<Omit<LogSettings, "format">> & { format?: LogFormat },
): Readonly<LogSettings> {
  const { format, ...rest } = options;
  Object.assign(settings, rest);
  if (format !== undefined) {
    settings.format = format === "auto" ? (onTerminal() ? "pretty" : "json") : format;
  }
  return settings;
}

/** Makes a value safe and small enough for a line: secrets redacted, errors described. */
export function loggable(value: unknown, depth = 0, level: Level = "info"): unknown {
  return safeValue(value, depth, level, new Set());
}

/**
 * `loggable`, knowing the objects on the way to `value` (`path`): one met again is a cycle (an
 * error that is its own cause, an object holding itself) and is written `"[circular]"`.
 */
function safeValue(value: unknown, depth: number, level: Level, path: Set<object>): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (path.has(value)) return "[circular]";
  const error = value instanceof Error;
  if (depth >= (error ? MAX_ERROR_DEPTH : MAX_DEPTH)) return "[…]";
  path.add(value);
  try {
    if (error) return describeError(value, depth, level, path);
    if (Array.isArray(value)) {
      const items = value.slice(0, 50).map((item) => safeValue(item, depth + 1, level, path));
      if (value.length > 50) items.push(`[… ${value.length - 50} more]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      out[key] = SECRET_KEY.test(key) ? REDACTED : safeValue(item, depth + 1, level, path);
    }
    return out;
  } finally {
    path.delete(value);
  }
}

function describeError(
  error: Error,
  depth: number,
  level: Level,
  path: Set<object>,
): Record<string, unknown> {
  const described: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") described.code = code;
  if (level === "error" && error.stack) described.stack = error.stack;
  if (error.cause !== undefined) {
    // An error's cause is one link down its chain; any other value is shown shallowly.
    const next = error.cause instanceof Error ? depth + 1 : Math.max(depth + 1, MAX_DEPTH - 1);
    described.cause = safeValue(error.cause, next, level, path);
  }
  return described;
}

/**
 * Characters that would break a pretty line or the terminal showing it: line breaks, escapes
 * (ANSI and C1 controls), and the like.
 */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** The control characters `JSON.stringify` leaves as they are. */
const JSON_LEAVES = /[\x7f-\x9f\u2028\u2029]/g;

/** `value` as a JSON string with every control character escaped (JSON leaves some as is). */
function quoted(value: unknown): string {
  return JSON.stringify(value).replace(
    JSON_LEAVES,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A message as is, unless it holds a control character: then quoted, so it stays one line. */
function prettyText(text: string): string {
  return CONTROL.test(text) ? quoted(text) : text;
}

function pretty(value: unknown): string {
  if (typeof value === "string") {
    return /^[^\s"=]+$/.test(value) && !CONTROL.test(value) ? value : quoted(value);
  }
  return quoted(value);
}

class PortLogger implements Logger {
  constructor(private readonly bound: Fields) {}

  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= LEVELS.indexOf(settings.level);
  }

  child(fields: Fields): Logger {
    return new PortLogger({ ...this.bound, ...fields });
  }

  debug(message: string, fields?: Fields): void {
    this.#line("debug", message, fields);
  }
  info(message: string, fields?: Fields): void {
    this.#line("info", message, fields);
  }
  warn(message: string, fields?: Fields): void {
    this.#line("warn", message, fields);
  }
  error(message: string, fields?: Fields): void {
    this.#line("error", message, fields);
  }

  #line(level: Level, message: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const all: Fields = { ...this.bound, ...fields };
    if (all.traceId === undefined) {
      const trace = currentTrace();
      if (trace) all.traceId = trace.traceId;
    }
    const safe = loggable(all, 0, level) as Record<string, unknown>;
    const time = new Date().toISOString();
    let line: string;
    if (settings.format === "json") {
      // The line's own keys first and last: a field named `message` or `level` cannot hide them.
      const head = { time, level, layer: settings.layer, instance: settings.instance, message };
      line = JSON.stringify(Object.assign({ ...head }, safe, head));
    } else {
      const head = `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${settings.layer}${
        settings.instance ? ` ${settings.instance}` : ""
      } ${prettyText(message)}`;
      const rest = Object.entries(safe).map(([key, value]) =>
        `${prettyText(key)}=${pretty(value)}`
      );
      line = rest.length ? `${head} ${rest.join(" ")}` : head;
    }
    settings.write(level, line);
  }
}

/** The process's logger; `component` names the part of the layer a line comes from. */
export function logger(component?: string): Logger {
  return new PortLogger(component ? { component } : {});
}

/** `(error, context) => void` for the ports that take an `onError`: an error line of `log`. */
export function logErrors(log: Logger): (error: unknown, context?: string) => void {
  return (error, context) => log.error(context ?? "failed", { error });
}
