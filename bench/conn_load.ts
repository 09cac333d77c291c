/**
 * A load process of the 100,000-connections scenario (bench/connections_100k.ts): holds idle
 * authenticated WebSockets, at most what one process's open-file limit allows, pings each as the
 * SDK does (every 25 s, spread over the period), and when the server drops one, reconnects it as
 * the SDK does: `GET /api/connect` for a live server, then auth, retried after the SDK's backoff
 * (doubling from 250 ms to 5 s, each delay drawn from the whole of its interval, as the SDK does).
 *
 *   deno run -A bench/conn_load.ts PLAN.json
 *
 * The plan (a `LoadPlan`) names the api, the connect servers' WebSocket URLs to open the first
 * connections on (round robin), one token per connection and the loopback address to connect to.
 * Reports go to stdout as JSON lines (`LoadReport`); commands come from stdin, one a line:
 * `status` (a status line now), `report` (the reconnect times), `quit`.
 */
import { Backoff } from "../client/backoff.ts";

/** What a load process is told to do. */
export interface LoadPlan {
  /** The api's base URL (`http://127.0.0.1:PORT`). */
  api: string;
  /** WebSocket URLs of the connect servers; connection i first opens on `servers[i % n]`. */
  servers: string[];
  /** One bearer token per connection (a user with several connections appears several times). */
  tokens: string[];
  /**
   * The loopback address to connect to instead of 127.0.0.1: each load process takes its own, so
   * no (source, destination) address pair needs more ephemeral ports than Linux has.
   */
  host: string;
  /** Connections being opened at once. */
  concurrency: number;
  /** Ping period of each connection (the SDK's default is 25 s). */
  pingMs: number;
}

/** A line on stdout. */
export type LoadReport =
  | { event: "progress"; ready: number; failed: number }
  | { event: "opened"; ready: number; failed: number; ms: number; errors: Record<string, number> }
  | {
    event: "status";
    ready: number;
    /** Connections the server dropped that are not back yet. */
    down: number;
    /** Reconnect attempts and those that failed (refused, closed before ready, api error). */
    attempts: number;
    failedAttempts: number;
    rssBytes: number;
    heapBytes: number;
  }
  | {
    event: "report";
    /** When each dropped connection was lost, and when it was ready again (epoch ms). */
    lost: number[];
    back: number[];
    /** Reconnect attempts per connection that came back (1 = the first try worked). */
    attemptsPerReconnect: number[];
    /** Failed attempts since the first connections were open, by why. */
    errors: Record<string, number>;
  };

const BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
/** A connection not ready this long after its socket was asked for has failed. */
const OPEN_TIMEOUT_MS = 30_000;

/** One held connection and what its reconnects took. */
interface Held {
  token: string;
  socket: WebSocket | null;
  ready: boolean;
  backoff: Backoff;
  attempts: number;
  lostAt: number;
}

const say = (report: LoadReport) => console.log(JSON.stringify(report));

/**
 * Opens a socket to `url`, authenticates with the connection's token and resolves true once the
 * server answers `ready`; false (the socket closed) when it refuses, fails or takes too long.
 * Afterwards a close the bench did not ask for calls `onLost`.
 */
function open(
  held: Held,
  url: string,
  onLost: () => void,
  errors: Map<string, number>,
): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok: boolean, why?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (why) errors.set(why, (errors.get(why) ?? 0) + 1);
      resolve(ok);
    };
    const timer = setTimeout(() => {
      settle(false, "timeout");
      socket.close();
    }, OPEN_TIMEOUT_MS);
    const socket = new WebSocket(url);
    held.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ op: "auth", token: held.token }));
    socket.onmessage = (event) => {
      if (settled) return;
      const frame = JSON.parse(String(event.data)) as { op: string; code?: string };
      if (frame.op === "ready") {
        held.ready = true;
        settle(true);
      } else if (frame.op === "error") {
        settle(false, `error ${frame.code}`);
      }
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      const wasReady = held.ready;
      held.ready = false;
      if (held.socket === socket) held.socket = null;
      if (!settled) return settle(false, `close ${event.code}`);
      if (wasReady) onLost();
    };
  });
}

async function main(plan: LoadPlan) {
  const held: Held[] = plan.tokens.map((token) => ({
    token,
    socket: null,
    ready: false,
    backoff: new Backoff(BACKOFF_MS, MAX_BACKOFF_MS),
    attempts: 0,
    lostAt: 0,
  }));
  const local = (url: string) => {
    const u = new URL(url);
    if (u.hostname === "127.0.0.1" || u.hostname === "0.0.0.0") u.hostname = plan.host;
    return u.toString();
  };
  const errors = new Map<string, number>();
  const lost: number[] = [];
  const back: number[] = [];
  const attemptsPerReconnect: number[] = [];
  let attempts = 0;
  let failedAttempts = 0;
  let down = 0;

  /** One reconnect attempt after the backoff's next delay, as client/socket.ts schedules it. */
  const reconnectLater = (h: Held) => {
    const delay = h.backoff.nextSpread(Math.random);
    setTimeout(() => void reconnect(h), delay);
  };
  const reconnect = async (h: Held) => {
    attempts++;
    h.attempts++;
    let url: string;
    try {
      // The same limit as an open's: an api whose listen queue is full drops the SYN, and the kernel
      // alone would give up only after about two minutes.
      const response = await fetch(`${plan.api}/api/connect`, {
        signal: AbortSignal.timeout(OPEN_TIMEOUT_MS),
      });
      const body = await response.json() as { url?: string };
      if (!response.ok || !body.url) throw new Error(`status ${response.status}`);
      url = body.url;
    } catch (error) {
      failedAttempts++;
      const why = `api ${error instanceof Error ? error.message.slice(0, 40) : "error"}`;
      errors.set(why, (errors.get(why) ?? 0) + 1);
      return reconnectLater(h);
    }
    if (await open(h, local(url), () => onLost(h), errors)) {
      back.push(Date.now());
      lost.push(h.lostAt);
      attemptsPerReconnect.push(h.attempts);
      down--;
      h.backoff.reset();
    } else {
      failedAttempts++;
      reconnectLater(h);
    }
  };
  const onLost = (h: Held) => {
    h.lostAt = Date.now();
    h.attempts = 0;
    down++;
    reconnectLater(h);
  };

  // Pings: each connection once a period, a slice of them every second (from the start: the
  // server closes a connection silent for a minute, and opening them all may take longer).
  const slices = Math.max(1, Math.round(plan.pingMs / 1000));
  let tick = 0;
  setInterval(() => {
    const slice = tick++ % slices;
    for (let i = slice; i < held.length; i += slices) {
      const h = held[i];
      if (h.ready && h.socket?.readyState === WebSocket.OPEN) h.socket.send('{"op":"ping"}');
    }
  }, 1000);

  // The first connections, `concurrency` at a time.
  const started = Date.now();
  let next = 0;
  let ready = 0;
  let failed = 0;
  const progress = setInterval(() => say({ event: "progress", ready, failed }), 1000);
  await Promise.all(
    Array.from({ length: Math.min(plan.concurrency, held.length) }, async () => {
      while (next < held.length) {
        const i = next++;
        const url = local(plan.servers[i % plan.servers.length]);
        if (await open(held[i], url, () => onLost(held[i]), errors)) ready++;
        else failed++;
      }
    }),
  );
  clearInterval(progress);
  say({
    event: "opened",
    ready,
    failed,
    ms: Date.now() - started,
    errors: Object.fromEntries(errors),
  });
  errors.clear();

  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of lines) {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const command = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (command === "status") {
        const memory = Deno.memoryUsage();
        say({
          event: "status",
          ready: held.filter((h) => h.ready).length,
          down,
          attempts,
          failedAttempts,
          rssBytes: memory.rss,
          heapBytes: memory.heapUsed,
        });
      } else if (command === "report") {
        say({
          event: "report",
          lost,
          back,
          attemptsPerReconnect,
          errors: Object.fromEntries(errors),
        });
      } else if (command === "quit") {
        Deno.exit(0);
      }
    }
  }
  Deno.exit(0);
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (!path) {
    console.error("usage: deno run -A bench/conn_load.ts PLAN.json");
    Deno.exit(2);
  }
  await main(JSON.parse(await Deno.readTextFile(path)) as LoadPlan);
}
