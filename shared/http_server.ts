/**
 * The one HTTP and WebSocket server of every entry point (embedded, api, connect).
 *
 * `Deno.serve` (2.9) cannot be used facing the public: its accept loop ends on the first
 * accept error (`Too many open files` rejects `finished`, the listener is closed, and the
 * process exits unless it is caught), and it has neither a header-read nor a keep-alive
 * timeout. Its WebSocket reads a frame of up to 64 MiB whole before the application sees a
 * byte. So this file serves with `node:http` (a request head must arrive within
 * `headersTimeoutMs`, an idle keep-alive connection is closed after `keepAliveTimeoutMs`),
 * bounds open connections below the open-file limit (`maxConnections`: the next ones are
 * accepted and closed at once, so descriptors never run out through connections) and per
 * client address, and upgrades WebSockets with `npm:ws`, which refuses a frame longer than
 * `frameBytes` from its header, before reading it (close 1009).
 *
 * Every request is counted (`im_http_requests_total` by method and status class) and handled
 * in a span `http`, the child of the request's `traceparent` header when it has a valid one, so
 * the handler's log lines carry a trace id.
 */
import http from "node:http";
import type { Socket } from "node:net";
// @ts-types="@types/ws"
import { WebSocketServer } from "ws";
import { logErrors, logger } from "./log.ts";
import { httpRequests, rateLimited } from "./metrics.ts";
import { startSpan, withTrace } from "./trace.ts";

/** Answers a request; `address` is the client's IP address. */
export type HttpHandler = (request: Request, address: string) => Response | Promise<Response>;

/** What an upgrade handler answers: a refusal written as is, or who takes the socket. */
export type UpgradeAnswer = { refuse: Response } | { accept: (socket: WebSocket) => void };

/** Decides a WebSocket upgrade request (any path). */
export type UpgradeHandler = (request: Request, address: string) => UpgradeAnswer;

/** The transport limits; `loadConfig()` gives them from `IM_*` variables. */
export interface TransportLimits {
  /** Connections open at once; 0: what the open-file limit leaves (`connectionCeiling()`). */
  maxConnections: number;
  /** Plain HTTP connections (not WebSockets) one client address may hold open. */
  httpConnectionsPerAddress: number;
  /** Time for a connection to send a complete request head. */
  headersTimeoutMs: number;
  /** Time an idle keep-alive connection is kept. */
  keepAliveTimeoutMs: number;
}

/** Who decides WebSocket upgrades, and the largest message they may read. */
export interface WebSocketOptions {
  upgrade: UpgradeHandler;
  /** Largest WebSocket message; a longer one closes the socket with 1009 before it is read. */
  frameBytes: number;
}

/** Options of `serveHttp()`. */
export interface HttpServerOptions {
  host: string;
  port: number;
  limits: TransportLimits;
  handler: HttpHandler;
  /** WebSocket upgrades; without them every upgrade request gets 404. */
  webSockets?: WebSocketOptions;
  onListen?: (address: { hostname: string; port: number }) => void;
  onError?: (error: unknown, context: string) => void;
}

/** A running server. */
export interface HttpServer {
  readonly port: number;
  /** Stops accepting, closes idle connections, waits for the others (WebSockets close themselves). */
  shutdown(): Promise<void>;
}

/** Methods counted as themselves; any other is `other` (a client may send any token). */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

type Child = { inc(value?: number): void };

/** `im_http_requests_total`'s children by method (METHODS, then other) and status class, made once. */
const requestChildren: Child[][] = [...METHODS, "other"].map((method) =>
  ["1xx", "2xx", "3xx", "4xx", "5xx"].map((status) => httpRequests.labels(method, status))
);

/** Counts a request answered with `status` (an upgrade accepted is 101). */
export function countRequest(method: string | undefined, status: number): void {
  const row = METHODS.indexOf(method ?? "");
  const byClass = requestChildren[row < 0 ? METHODS.length : row];
  byClass[Math.min(4, Math.max(0, Math.floor(status / 100) - 1))].inc();
}

const perAddressRefused = rateLimited.labels("http_connections_per_address");
const ceilingRefused = rateLimited.labels("open_connections");

/** The most descriptors `spareDescriptors()` counts (opening more takes too long at start). */
const SPARE_PROBE_MAX = 65_536;

/**
 * How many more descriptors this process may open now: counted by opening `/dev/null` until
 * the open-file limit refuses, then closing them all (Deno grants `/proc/self/limits` only with
 * --allow-all). At most SPARE_PROBE_MAX; null if `/dev/null` cannot be opened at all.
 */
export function spareDescriptors(): number | null {
  const files: Deno.FsFile[] = [];
  try {
    while (files.length < SPARE_PROBE_MAX) files.push(Deno.openSync("/dev/null"));
  } catch {
    // The limit (or no /dev/null).
  } finally {
    for (const file of files) file.close();
  }
  return files.length > 0 ? files.length : null;
}

/**
 * How many connections fit in `spare` descriptors, less a reserve for those the process opens
 * later (files, engines, peers): the larger of 64 and a tenth.
 */
export function connectionCeiling(spare: number): number {
  return Math.max(16, spare - Math.max(64, Math.ceil(spare / 10)));
}

/** Counts open connections per client address against a cap. */
class PerAddress {
  readonly #open = new Map<string, number>();
  constructor(readonly max: number) {}

  take(address: string): boolean {
    const count = this.#open.get(address) ?? 0;
    if (count >= this.max) return false;
    this.#open.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const left = (this.#open.get(address) ?? 1) - 1;
    if (left > 0) this.#open.set(address, left);
    else this.#open.delete(address);
  }
}

/**
 * A request body as a web stream read from the node request as the handler pulls; `dump()`,
 * once the response is written, discards whatever the handler did not read (as node does), so
 * a keep-alive connection is not left stuck behind an unread body.
 */
function bodyOf(message: http.IncomingMessage): {
  stream: ReadableStream<Uint8Array>;
  dump: () => void;
} {
  let open = true;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      message.pause();
      message.on("data", (chunk: Buffer) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) message.pause();
      });
      message.once("end", () => open && (open = false, controller.close()));
      message.once("error", (error) => open && (open = false, controller.error(error)));
    },
    pull() {
      message.resume();
    },
    cancel() {
      open = false;
      message.resume();
    },
  }, { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength });
  return {
    stream,
    dump() {
      open = false;
      message.resume();
    },
  };
}

/** A web Request for a node request head, or null when its URL is not valid. */
function toRequest(
  message: http.IncomingMessage,
  body: ReadableStream<Uint8Array> | null,
): Request | null {
  const headers = new Headers();
  const raw = message.rawHeaders;
  try {
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    const url = new URL(message.url ?? "/", `http://${message.headers.host || "localhost"}`);
    const method = message.method ?? "GET";
    const withBody = body && method !== "GET" && method !== "HEAD" ? body : null;
    return new Request(url, { method, headers, body: withBody, duplex: "half" } as RequestInit);
  } catch {
    return null;
  }
}

function headerRecord(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => headers[name] = value);
  return headers;
}

/** Writes a web Response to a node response (bodies are bounded by the API's limits). */
async function send(res: http.ServerResponse, response: Response): Promise<void> {
  const headers = headerRecord(response);
  if (!response.body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  const body = new Uint8Array(await response.arrayBuffer());
  headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers).end(body);
}

/** Writes a refusal on a socket that asked for an upgrade, then closes it. */
async function refuseUpgrade(socket: Socket, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const lines = [`HTTP/1.1 ${response.status} ${http.STATUS_CODES[response.status] ?? ""}`];
  for (const [name, value] of Object.entries(headerRecord(response))) {
    lines.push(`${name}: ${value}`);
  }
  lines.push(`content-length: ${body.length}`, "connection: close", "", "");
  if (!socket.writable) return void socket.destroy();
  socket.write(lines.join("\r\n"));
  socket.end(body);
}

const NOT_FOUND = () =>
  new Response(JSON.stringify({ error: { code: "not_found", message: "No WebSocket here" } }), {
    status: 404,
    headers: { "content-type": "application/json; charset=utf-8" },
  });

/** Starts serving; resolves once listening. */
export async function serveHttp(options: HttpServerOptions): Promise<HttpServer> {
  const { host, port, limits, handler, webSockets, onListen } = options;
  const onError = options.onError ?? logErrors(logger("http"));
  const spare = spareDescriptors() ?? 1024;
  const ceiling = limits.maxConnections || connectionCeiling(spare);
  // Node's accept loop here (Deno's node:net) takes every queued connection before it closes
  // those over the ceiling; a full queue must fit in the reserve, or accept fails with EMFILE.
  const backlog = Math.max(8, Math.min(511, Math.floor((spare - ceiling) / 2)));
  const plain = new PerAddress(limits.httpConnectionsPerAddress);
  /** The address of each socket counted as plain HTTP (until upgraded or closed). */
  const counted = new WeakMap<Socket, string>();
  const addressOf = (socket: Socket) => socket.remoteAddress ?? "";
  const release = (socket: Socket) => {
    const address = counted.get(socket);
    if (address === undefined) return;
    counted.delete(socket);
    plain.release(address);
  };

  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    // A whole request (the API's own limit on a body's time is shorter).
    requestTimeout: Math.max(120_000, limits.headersTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  });
  server.maxConnections = ceiling;
  // Beyond maxConnections, node:net closes the socket itself and tells here.
  server.on("drop", () => ceilingRefused.inc());
  server.on("connection", (socket: Socket) => {
    const address = addressOf(socket);
    if (!plain.take(address)) {
      perAddressRefused.inc();
      return void socket.destroy();
    }
    counted.set(socket, address);
    socket.once("close", () => release(socket));
  });
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = bodyOf(req);
    const request = toRequest(req, body.stream);
    if (!request) {
      countRequest(req.method, 400);
      return void res.writeHead(400).end(body.dump);
    }
    const span = startSpan("http", {
      kind: "server",
      parent: request.headers.get("traceparent"),
      attributes: { "http.request.method": request.method },
    });
    withTrace(span, () =>
      Promise.resolve()
        .then(() => handler(request, addressOf(req.socket)))
        .then(async (response) => {
          await send(res, response);
          countRequest(req.method, response.status);
          span.setAttributes({ "http.response.status_code": response.status });
          span.end(response.status >= 500 ? `status ${response.status}` : undefined);
        })
        .catch((error) => {
          onError(error, "request failed");
          countRequest(req.method, 500);
          span.end(error);
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        })
        .finally(body.dump));
  });

  /**
   * Frames a socket is sent during one turn of the event loop (a push batch
   * fanned out, the `sent` answers that follow it, acks answered) leave in one
   * write instead of a system call each: the TCP socket is corked at the first
   * and uncorked by `setImmediate`, after the turn's I/O callbacks and their
   * promise jobs. (Uncorking in a microtask instead flushed before the `sent`
   * answers; in the pairs flow that was about 30 % fewer deliveries a second.)
   */
  function writeInTicks(ws: { send: (...args: never[]) => void }, socket: Socket): void {
    const send = ws.send.bind(ws) as (...args: unknown[]) => void;
    let corked = false;
    const uncork = () => {
      corked = false;
      socket.uncork();
    };
    (ws as { send: (...args: unknown[]) => void }).send = (...args) => {
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(uncork);
      }
      send(...args);
    };
  }

  const sockets = webSockets && new WebSocketServer({
    noServer: true,
    maxPayload: webSockets.frameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const request = toRequest(req, null);
    if (!request) return void socket.destroy();
    const answer: UpgradeAnswer = webSockets
      ? webSockets.upgrade(request, addressOf(socket))
      : { refuse: NOT_FOUND() };
    if ("refuse" in answer || !sockets) {
      const response = "refuse" in answer ? answer.refuse : NOT_FOUND();
      countRequest(req.method, response.status);
      refuseUpgrade(socket, response).catch(() => socket.destroy());
      return;
    }
    countRequest(req.method, 101);
    // A WebSocket is no longer a plain HTTP connection of its address (the front door counts it).
    release(socket);
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => {}); // Oversized frames and broken peers close the socket; nothing to add.
      writeInTicks(ws, socket);
      // npm:ws implements the browser WebSocket API the pipeline uses: on* handlers and
      // addEventListener, text frames as strings, send, close, readyState, bufferedAmount.
      answer.accept(ws as unknown as WebSocket);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, backlog, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error: unknown) => onError(error, "listener failed"));
  const bound = server.address();
  const boundPort = typeof bound === "object" && bound ? bound.port : port;
  onListen?.({ hostname: host, port: boundPort });

  return {
    port: boundPort,
    shutdown: () =>
      new Promise<void>((resolve) => {
        // Requests under way get a few seconds to finish (WebSockets were closed by their owner).
        const late = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 5000);
        server.close(() => {
          clearTimeout(late);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
