/**
 * The operations endpoints every process answers:
 * - `GET /healthz`: 200 while the process serves (a liveness probe: restart it when this fails);
 * - `GET /readyz`: 200 when every dependency it needs answers within `timeoutMs`, else 503
 *   `{"error":{"code":"unavailable","message":"Redis is unavailable"}}` (a readiness probe: send
 *   it no traffic meanwhile);
 * - `GET /metrics`: the Prometheus text of shared/metrics.ts.
 *
 * api, connect and the embedded server answer them on their HTTP port (`opsResponse`); logic and
 * task, which have no HTTP port, on a small one of their own (`serveOps`, `IM_METRICS_PORT`).
 *
 * A readiness check asks over a connection the process already holds (a pool's query, the
 * ioredis connection's PING, the message log's long-lived admin client): a probe every few
 * seconds from several watchers must not open connections. Probes that come while a check runs
 * share its answer, so a dependency that hangs is asked once at a time, not once a probe.
 */
import { AppError } from "./errors.ts";
import { errorResponse } from "./http_error.ts";
import { type HttpServer, serveHttp } from "./http_server.ts";
import { type Logger, logger } from "./log.ts";
import { metricsResponse, ready as readyGauge } from "./metrics.ts";
import { within } from "./timeout.ts";

/** A dependency `/readyz` asks. */
export interface Dependency {
  /** How an answer names it: `PostgreSQL`, `Kafka`, `Redis`, `etcd`, `logic`, `the store`. */
  name: string;
  /** Resolves when it answers; over a connection already open, never a new one. */
  check: () => Promise<void>;
}

/** Options of `Readiness`. */
export interface ReadinessOptions {
  /** How long each check may take before its dependency counts as unavailable. */
  timeoutMs?: number;
  /**
   * How old the last answer may be when `/metrics` is scraped before a fresh check runs first,
   * so the `im_ready` gauge is current even where nothing probes `/readyz`.
   */
  staleMs?: number;
  log?: Logger;
}

/** The default bound on one check: a probe's answer must come well within its own timeout. */
export const CHECK_TIMEOUT_MS = 2000;

/** "Redis is unavailable", "PostgreSQL and Redis are unavailable". */
export function unavailableMessage(names: readonly string[]): string {
  if (names.length === 1) return `${names[0]} is unavailable`;
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are unavailable`;
}

/**
 * Whether this process's dependencies answer, checked all at once, each within `timeoutMs`.
 * Sets the `im_ready` gauge from every answer, and logs when a dependency stops or starts
 * answering (not at every probe).
 */
export class Readiness {
  readonly #dependencies: readonly Dependency[];
  readonly #timeoutMs: number;
  readonly #staleMs: number;
  readonly #log: Logger;
  /** Whether each dependency answered the last check (absent: not checked yet). */
  readonly #up = new Map<string, boolean>();
  #running: Promise<string[]> | null = null;
  /**
   * A dependency's check still unanswered: past its timeout it counts as unavailable, but the next
   * probes wait on the same call rather than start another, so a hanging dependency (a PING queued
   * on a dead connection, a query waiting for a pool slot) is never asked more than once at a time.
   */
  readonly #inFlight = new Map<string, Promise<void>>();
  #checkedAt = -Infinity;

  constructor(dependencies: readonly Dependency[], options: ReadinessOptions = {}) {
    this.#dependencies = dependencies;
    this.#timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
    this.#staleMs = options.staleMs ?? 5000;
    this.#log = options.log ?? logger("readiness");
  }

  /** The names of the dependencies that did not answer in time (empty: ready). */
  check(): Promise<string[]> {
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
      this.#checkedAt = performance.now();
    });
    return this.#running;
  }

  /** Checks again first when the last answer is older than `staleMs` (for `/metrics`). */
  async refresh(): Promise<void> {
    if (performance.now() - this.#checkedAt > this.#staleMs) await this.check();
  }

  /** The `/readyz` answer. */
  async response(): Promise<Response> {
    const down = await this.check();
    if (down.length === 0) return Response.json({ status: "ready" }, { headers: NO_STORE });
    return errorResponse(new AppError("unavailable", unavailableMessage(down)), () => {});
  }

  async #run(): Promise<string[]> {
    const answers = await Promise.all(this.#dependencies.map(async ({ name, check }) => {
      let call = this.#inFlight.get(name);
      if (!call) {
        call = Promise.resolve().then(check);
        this.#inFlight.set(name, call);
        const done = () => this.#inFlight.delete(name);
        call.then(done, done);
      }
      try {
        await within(call, this.#timeoutMs);
        return { name, error: null };
      } catch (error) {
        return { name, error };
      }
    }));
    const down: string[] = [];
    for (const { name, error } of answers) {
      const was = this.#up.get(name);
      this.#up.set(name, error === null);
      if (error !== null) {
        down.push(name);
        if (was !== false) this.#log.warn(`${name} is unavailable`, { dependency: name, error });
      } else if (was === false) {
        this.#log.info(`${name} is available again`, { dependency: name });
      }
    }
    readyGauge.set(down.length === 0 ? 1 : 0);
    return down;
  }
}

const NO_STORE = { "cache-control": "no-store" };

/**
 * The answer to `/healthz`, `/readyz` or `/metrics`; null for any other path (the caller's own
 * routes then), and for `/metrics` when `metricsAllowed` is false (a client outside
 * `IM_METRICS_FROM` on a public port: it gets the caller's 404, as for any unknown path).
 */
export function opsResponse(
  pathname: string,
  readiness: Readiness,
  metricsAllowed = true,
): Promise<Response> | null {
  switch (pathname) {
    case "/healthz":
      return Promise.resolve(Response.json({ status: "ok" }, { headers: NO_STORE }));
    case "/readyz":
      return readiness.response();
    case "/metrics":
      return metricsAllowed ? readiness.refresh().then(metricsResponse) : null;
    default:
      return null;
  }
}

/** Options of `serveOps()`. */
export interface OpsServerOptions {
  /** `0.0.0.0` in logic and task, as their gRPC port. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The host the start line names (logic's advertised host, as in its gRPC line); else `host`. */
  advertiseHost?: string;
  readiness: Readiness;
  log?: Logger;
}

/**
 * The operations port of a process without an HTTP port of its own (logic, task): `/metrics`,
 * `/healthz` and `/readyz`, and 404 for anything else. Writes `metrics on http://HOST:PORT/metrics`
 * once it serves.
 */
export async function serveOps(
  { host, port, advertiseHost, readiness, log = logger("ops_http") }: OpsServerOptions,
): Promise<HttpServer & { url: string }> {
  const onError = (error: unknown) => log.error("operations request failed", { error });
  let url = "";
  const server = await serveHttp({
    host,
    port,
    // A few scrapers and probes; never the public.
    limits: {
      maxConnections: 64,
      httpConnectionsPerAddress: 16,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 30_000,
    },
    handler: (request) => {
      const { pathname } = new URL(request.url);
      return opsResponse(pathname, readiness) ??
        errorResponse(new AppError("not_found", `No route ${pathname}`), onError);
    },
    onError: (error, context) => log.error(`operations server: ${context}`, { error }),
    onListen: ({ hostname, port }) => {
      url = `http://${advertiseHost ?? hostname}:${port}/metrics`;
      log.info(`metrics on ${url}`);
    },
  });
  return { port: server.port, url, shutdown: () => server.shutdown() };
}
