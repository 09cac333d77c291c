/**
 * Every metric a process exposes at `GET /metrics`, in the Prometheus text format, through
 * prom-client (the library Node's Prometheus users share; its histograms, registries and
 * default process metrics are what we would otherwise write by hand).
 *
 * One registry a process; the layers that do not run in a process leave their metrics at zero
 * (a counter with labels appears once it is first counted). Names follow Prometheus's
 * conventions: the `im_` prefix, base units (`_seconds`, `_bytes`), counters ending `_total`.
 * prom-client's default metrics come too: `process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_eventloop_lag_p99_seconds`,
 * `nodejs_heap_size_used_bytes` and the rest.
 *
 * Labels are bounded sets: an error code, a frame op (unknown ones count as `other`), a limit's
 * name, a close code, an RPC method, a partition. Never a user, conversation or message id.
 */
import client from "prom-client";

/** The registry `/metrics` serves. */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
// prom-client reads these from /proc/self, which Deno opens only with --allow-all: without it they
// would always read 0. The resident memory comes from Deno instead; the rest are left out.
for (
  const name of [
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_heap_bytes",
    "process_open_fds",
    "process_max_fds",
  ]
) registry.removeSingleMetric(name);
new client.Gauge({
  name: "process_resident_memory_bytes",
  help: "Resident memory size in bytes.",
  registers: [registry],
  collect() {
    this.set(Deno.memoryUsage().rss);
  },
});

/** Latency buckets, in seconds: 1 ms to 10 s. */
export const LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

const registers = [registry];

// ---- connect (and embedded): connections and frames ----

/** WebSocket connections open on this process (authenticated or not yet). */
export const connectionsOpen = new client.Gauge({
  name: "im_connections_open",
  help: "WebSocket connections open on this process",
  registers,
});

/** Users with at least one authenticated connection on this process. */
export const onlineUsers = new client.Gauge({
  name: "im_online_users",
  help: "Users with at least one authenticated WebSocket connection on this process",
  registers,
});

/** Client frames read, by op (`other` for an op the protocol does not know). */
export const framesIn = new client.Counter({
  name: "im_frames_received_total",
  help: "WebSocket frames received from clients, by op",
  labelNames: ["op"],
  registers,
});

/** Server frames written to clients, by op (a push written to three sockets counts three). */
export const framesOut = new client.Counter({
  name: "im_frames_sent_total",
  help: "WebSocket frames sent to clients, by op",
  labelNames: ["op"],
  registers,
});

/** WebSocket closes, by close code (1000, 1006, 1008, 4401, 4408, 4429, …). */
export const closes = new client.Counter({
  name: "im_connection_closes_total",
  help: "WebSocket connections closed, by close code",
  labelNames: ["code"],
  registers,
});

/** Pushes written and awaiting the client's ack (summed over connections). */
export const pushesPendingAck = new client.Gauge({
  name: "im_pushes_pending_ack",
  help: "Message pushes sent to clients and not yet acknowledged",
  registers,
});

/** Pushes written again because no ack came in time. */
export const redeliveries = new client.Counter({
  name: "im_redeliveries_total",
  help: "Message pushes sent again to a client that had not acknowledged them",
  registers,
});

// ---- sends ----

/** Sends answered: `result` is `accepted` or `refused`; `code` the error code (`ok` when accepted). */
export const sends = new client.Counter({
  name: "im_sends_total",
  help: "Message sends answered, by result and error code",
  labelNames: ["result", "code"],
  registers,
});

/** From a `send` frame read (or a send call begun) to its `sent` answer. */
export const sendAcceptSeconds = new client.Histogram({
  name: "im_send_accept_seconds",
  help: "Time from a send received to its acceptance answered (log append included)",
  buckets: LATENCY_BUCKETS,
  registers,
});

/** From a message's acceptance (its id's time) to its store commit, in task. */
export const acceptToStoreSeconds = new client.Histogram({
  name: "im_message_store_delay_seconds",
  help: "Time from a message accepted to it stored",
  buckets: LATENCY_BUCKETS,
  registers,
});

/** From a message's store commit to its push handed to the connect servers, in task. */
export const storeToPushSeconds = new client.Histogram({
  name: "im_message_push_delay_seconds",
  help: "Time from a message stored to its push handed to the connect servers",
  buckets: LATENCY_BUCKETS,
  registers,
});

// ---- task: store and log ----

/** Messages a store batch saved at once. */
export const storeBatchSize = new client.Histogram({
  name: "im_store_batch_messages",
  help: "Messages saved by one store batch",
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
  registers,
});

/** How long one store batch took. */
export const storeBatchSeconds = new client.Histogram({
  name: "im_store_batch_seconds",
  help: "Time one store batch took",
  buckets: LATENCY_BUCKETS,
  registers,
});

/** How long an append to the message log took until durable (`log`: `kafka` or `memory`). */
export const logAppendSeconds = new client.Histogram({
  name: "im_log_append_seconds",
  help: "Time an append to the message log took until durable",
  labelNames: ["log"],
  buckets: LATENCY_BUCKETS,
  registers,
});

/** Records appended and not yet consumed, per partition (`0` for the in-process log). */
export const consumerLag = new client.Gauge({
  name: "im_consumer_lag",
  help: "Message log records appended and not yet committed by task, per partition",
  labelNames: ["partition"],
  registers,
});

/**
 * Reads that may go to PostgreSQL's streaming replica (history, search), by where they went:
 * `replica`, `primary_lagging` (the replica had not replayed what the primary had committed when
 * the read began, within the wait) or `primary_unavailable` (the replica failed or is resting).
 */
export const replicaReads = new client.Counter({
  name: "im_replica_reads_total",
  help: "Reads that may go to the PostgreSQL replica, by where they were answered",
  labelNames: ["result"],
  registers,
});

// ---- limits, calls between layers, HTTP ----

/**
 * Requests refused by a rate limit, by the limit's name: logic's `send`, `login_username`,
 * `login_address`, `register_address`, `password`, `upload`, `friend_request`, `user_search`,
 * `message_search`, `read`, `conversation_settings`, `join_requests` (a group's pending requests);
 * connect's and the HTTP server's own (`ack`, `typing`, `connections_per_address`, …).
 */
export const rateLimited = new client.Counter({
  name: "im_rate_limited_total",
  help: "Requests refused by a rate limit, by limit",
  labelNames: ["limit"],
  registers,
});

/**
 * Calls between layers, counted by the caller: `service` `logic` or `connect`, the method, and
 * `outcome` `ok` or the error code.
 */
export const rpcCalls = new client.Counter({
  name: "im_rpc_calls_total",
  help: "Calls between layers, by service, method and outcome",
  labelNames: ["service", "method", "outcome"],
  registers,
});

/** How long a call between layers took, as its caller saw it. */
export const rpcSeconds = new client.Histogram({
  name: "im_rpc_call_seconds",
  help: "Time a call between layers took, as its caller saw it",
  labelNames: ["service", "method"],
  buckets: LATENCY_BUCKETS,
  registers,
});

/** HTTP requests answered, by method and status class (`2xx`, `4xx`, …). */
export const httpRequests = new client.Counter({
  name: "im_http_requests_total",
  help: "HTTP requests answered, by method and status class",
  labelNames: ["method", "status"],
  registers,
});

/** Whether this process is ready (1) or not (0), as its `/readyz` last answered. */
export const ready = new client.Gauge({
  name: "im_ready",
  help: "1 when this process's last readiness check passed, else 0",
  registers,
});

/** Seconds since `started`, for a histogram. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

/** The `/metrics` answer. */
export async function metricsResponse(): Promise<Response> {
  return new Response(await registry.metrics(), {
    headers: { "content-type": registry.contentType },
  });
}
