/**
 * The load process of the cost scenario (bench/cost.ts): holds idle authenticated WebSockets
 * outside the bench process, so that neither their memory nor their CPU is the bench's, pings each
 * as the SDK does (every `pingMs`, spread over the period), and churns some of them on command: a
 * connection closed, another user's opened, at a fixed rate.
 *
 *   deno run -A bench/cost_load.ts PLAN.json
 *
 * The plan (a `CostLoadPlan`) gives one token per slot; a slot is one connection, and a user may
 * own several slots. Commands come on stdin, one a line; each is answered by one JSON line on
 * stdout (`CostLoadReport`):
 * - `open FROM TO`: opens slots FROM..TO-1 (`opened`);
 * - `churn FROM TO PER_SECOND SECONDS`: among slots FROM..TO-1, PER_SECOND times a second, closes
 *   the open slot opened longest ago and opens the closed slot closed longest ago, in turn
 *   (`churned`, once every open has settled);
 * - `status` (`status`), `quit`.
 */

/** What a cost load process is told. */
export interface CostLoadPlan {
  /** The connect server's WebSocket URL. */
  server: string;
  /** One bearer token per slot. */
  tokens: string[];
  /** Connections being opened at once by `open`. */
  concurrency: number;
  /** Ping period of each connection (the SDK's default is 25 s). */
  pingMs: number;
}

/** A line on stdout. */
export type CostLoadReport =
  | { event: "opened"; ready: number; failed: number; why: Failures; ms: number }
  | { event: "churned"; closed: number; opened: number; failed: number; why: Failures; ms: number }
  | { event: "status"; ready: number; rssBytes: number }
  | { event: "error"; message: string };

/** A connection slot. */
interface Slot {
  token: string;
  socket: WebSocket | null;
  ready: boolean;
}

/** A connection is not ready this long after it was asked for: failed. */
const OPEN_TIMEOUT_MS = 30_000;

const say = (report: CostLoadReport) => console.log(JSON.stringify(report));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why opens failed: "timeout", "error <code>" (an error frame) or "closed <code>", and how many. */
export type Failures = Record<string, number>;

/** Opens a slot's socket and authenticates: null once the server answers `ready`, else why not. */
function open(slot: Slot, url: string): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (why: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(why);
    };
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      settle("timeout");
      socket.close();
    }, OPEN_TIMEOUT_MS);
    slot.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ op: "auth", token: slot.token }));
    socket.onmessage = (event) => {
      if (settled) return;
      const frame = JSON.parse(String(event.data)) as { op: string; code?: string };
      if (frame.op === "ready") {
        slot.ready = true;
        settle(null);
      } else if (frame.op === "error") settle(`error ${frame.code}`);
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      slot.ready = false;
      if (slot.socket === socket) slot.socket = null;
      settle(`closed ${event.code}`);
    };
  });
}

/** Opens slots `from`..`to`-1, `concurrency` at a time. */
async function openRange(plan: CostLoadPlan, slots: Slot[], from: number, to: number) {
  const started = Date.now();
  let next = from, ready = 0, failed = 0;
  const why: Failures = {};
  await Promise.all(
    Array.from({ length: Math.min(plan.concurrency, to - from) }, async () => {
      while (next < to) {
        const failure = await open(slots[next++], plan.server);
        if (failure === null) ready++;
        else {
          failed++;
          why[failure] = (why[failure] ?? 0) + 1;
        }
      }
    }),
  );
  say({ event: "opened", ready, failed, why, ms: Date.now() - started });
}

/** Closes and opens slots of `from`..`to`-1 in turn, `perSecond` a second for `seconds`. */
async function churn(
  plan: CostLoadPlan,
  slots: Slot[],
  [from, to, perSecond, seconds]: number[],
) {
  const range = slots.slice(from, to);
  const online = range.filter((s) => s.ready);
  const offline = range.filter((s) => !s.ready);
  const started = Date.now();
  const pending: Promise<void>[] = [];
  let closed = 0, opened = 0, failed = 0;
  const why: Failures = {};
  const steps = Math.round(perSecond * seconds);
  for (let step = 0; step < steps; step++) {
    // On schedule, whatever the previous step took.
    const due = started + (step * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    if (step % 2 === 0) {
      const slot = online.shift();
      if (!slot?.socket) continue;
      slot.ready = false;
      slot.socket.close(1000, "churn");
      slot.socket = null;
      offline.push(slot);
      closed++;
    } else {
      const slot = offline.shift();
      if (!slot) continue;
      pending.push(
        open(slot, plan.server).then((failure) => {
          if (failure === null) {
            opened++;
            online.push(slot);
          } else {
            failed++;
            why[failure] = (why[failure] ?? 0) + 1;
            offline.push(slot);
          }
        }),
      );
    }
  }
  await Promise.all(pending);
  say({ event: "churned", closed, opened, failed, why, ms: Date.now() - started });
}

async function main(plan: CostLoadPlan) {
  const slots: Slot[] = plan.tokens.map((token) => ({ token, socket: null, ready: false }));
  // Pings: each open connection once a period, a slice of the slots every second.
  const slices = Math.max(1, Math.round(plan.pingMs / 1000));
  let tick = 0;
  setInterval(() => {
    const slice = tick++ % slices;
    for (let i = slice; i < slots.length; i += slices) {
      const s = slots[i];
      if (s.ready && s.socket?.readyState === WebSocket.OPEN) s.socket.send('{"op":"ping"}');
    }
  }, 1000);

  let buffer = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const [command, ...args] = buffer.slice(0, end).trim().split(/\s+/);
      buffer = buffer.slice(end + 1);
      const numbers = args.map(Number);
      try {
        if (command === "open") await openRange(plan, slots, numbers[0], numbers[1]);
        else if (command === "churn") await churn(plan, slots, numbers);
        else if (command === "status") {
          say({
            event: "status",
            ready: slots.filter((s) => s.ready).length,
            rssBytes: Deno.memoryUsage().rss,
          });
        } else if (command === "quit") Deno.exit(0);
      } catch (error) {
        say({ event: "error", message: String(error) });
      }
    }
  }
  Deno.exit(0);
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (!path) {
    console.error("usage: deno run -A bench/cost_load.ts PLAN.json");
    Deno.exit(2);
  }
  await main(JSON.parse(await Deno.readTextFile(path)) as CostLoadPlan);
}
