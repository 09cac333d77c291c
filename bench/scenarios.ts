/** The benchmark's scenarios: each returns figures measured from what clients actually received. */
import type { ImClient } from "../client/mod.ts";
import type { Target } from "./targets.ts";

/** Throughput and latency of one scenario run. */
export interface FlowResult {
  deliveriesPerSec: number;
  messagesPerSec: number;
  /** Messages the server answered `sent`, the warm-up's included: what the run stored. */
  stored: number;
  /** Send→receive latencies in milliseconds (sub-millisecond), sorted. */
  latencies: number[];
  /** CPU time the server's processes spent in the measured window, when asked for (`serverCpu`). */
  serverCpuSeconds?: number;
  /** Messages the server answered `sent` in the measured window. */
  sent?: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile (0–1) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** A text of 64 bytes, the size the figures per message are given for. */
export const TEXT_64 = "benchmark message of a typical length, sixty-four bytes in total";

let sequence = 0;

/**
 * A clientMsgId that carries its send time: this process's `performance.now()`, which the
 * recipients' clients (in this process too) read back for a sub-millisecond latency.
 */
export function stampedId(): string {
  return `${performance.now().toFixed(3)}-${(sequence++).toString(36)}`;
}

/** Milliseconds since the send of a message whose clientMsgId `stampedId()` made (NaN otherwise). */
function sinceSent(clientMsgId: string | undefined): number {
  return performance.now() - parseFloat(clientMsgId ?? "");
}

/** Counts deliveries to recipients (not the sender's own echo) and their latencies, inside a window. */
export function recorder(clients: ImClient[]) {
  let counting = false;
  let deliveries = 0;
  const latencies: number[] = [];
  for (const c of clients) {
    c.on("message", (m) => {
      if (!counting || m.from === c.self!.id) return;
      deliveries++;
      const ms = sinceSent(m.clientMsgId ?? undefined);
      if (!Number.isNaN(ms)) latencies.push(ms);
    });
  }
  return {
    start() {
      counting = true;
    },
    stop() {
      counting = false;
      return { deliveries, latencies: latencies.sort((a, b) => a - b) };
    },
  };
}

/**
 * Sends in loops, each keeping one message in flight (so `window` loops per sender
 * keep `window` in flight), or, with `rate`, at that many messages per second in total.
 */
export async function drive(
  senders: { client: ImClient; to: { type: "user" | "group"; id: string } }[],
  seconds: number,
  { window = 4, rate }: { window?: number; rate?: number },
  onTick: (sent: number) => void,
): Promise<number> {
  let sent = 0;
  let running = true;
  const text = { type: "text" as const, text: TEXT_64 };
  const ticker = setInterval(() => onTick(sent), 1000);
  if (rate) {
    let carry = 0;
    let next = 0;
    const inFlight = new Set<Promise<unknown>>();
    const timer = setInterval(() => {
      carry += rate / 100;
      while (carry >= 1) {
        carry--;
        const s = senders[next++ % senders.length];
        const p = s.client.send(s.to, text, stampedId()).then(() => sent++).catch(() => {});
        inFlight.add(p);
        p.finally(() => inFlight.delete(p));
      }
    }, 10);
    await sleep(seconds * 1000);
    clearInterval(timer);
    await Promise.all([...inFlight]);
  } else {
    const loops = senders.flatMap((s) =>
      Array.from({ length: window }, async () => {
        while (running) {
          await s.client.send(s.to, text, stampedId()).catch(() => sleep(10));
          sent++;
        }
      })
    );
    await sleep(seconds * 1000);
    running = false;
    await Promise.all(loops);
  }
  clearInterval(ticker);
  return sent;
}

type Senders = Parameters<typeof drive>[0];

/** Warms up, then drives the senders for `seconds` and measures what the clients received. */
async function measure(
  clients: ImClient[],
  senders: Senders,
  seconds: number,
  load: { window?: number; rate?: number },
  onTick: (sent: number) => void,
  serverCpu?: () => Promise<number>,
): Promise<FlowResult> {
  const rec = recorder(clients);
  const warmUp = await drive(senders, 1, { window: 1 }, () => {});
  await sleep(300);
  const cpuBefore = await serverCpu?.();
  rec.start();
  const started = performance.now();
  const sent = await drive(senders, seconds, load, onTick);
  await sleep(500);
  const elapsed = (performance.now() - started) / 1000;
  const { deliveries, latencies } = rec.stop();
  const serverCpuSeconds = cpuBefore === undefined ? undefined : await serverCpu!() - cpuBefore;
  await Promise.all(clients.map((c) => c.close()));
  return {
    deliveriesPerSec: deliveries / elapsed,
    messagesPerSec: sent / elapsed,
    stored: warmUp + sent,
    latencies,
    serverCpuSeconds,
    sent,
  };
}

/** `pairs` pairs of new friends, connected, each sending to the other. */
export async function friendPairs(target: Target, pairs: number): Promise<{
  clients: ImClient[];
  senders: Senders;
}> {
  const clients = await target.users(pairs * 2);
  const senders: Senders = [];
  for (let i = 0; i < clients.length; i += 2) {
    const [a, b] = [clients[i], clients[i + 1]];
    await target.pair(a, b);
    senders.push({ client: a, to: { type: "user", id: b.self!.id } });
    senders.push({ client: b, to: { type: "user", id: a.self!.id } });
  }
  return { clients, senders };
}

/** Friend pairs sending to each other. */
export async function pairs(
  target: Target,
  { pairs, seconds, window, rate, progress, serverCpu }: {
    pairs: number;
    seconds: number;
    window?: number;
    rate?: number;
    progress: (line: string) => void;
    /** The CPU seconds the server's processes used so far, to report what the window cost. */
    serverCpu?: () => Promise<number>;
  },
): Promise<FlowResult> {
  const { clients, senders } = await friendPairs(target, pairs);
  return await measure(
    clients,
    senders,
    seconds,
    { window, rate },
    (n) => progress(`${target.name} pairs: ${n} sent`),
    serverCpu,
  );
}

/** One group, all members online, senders taking turns. */
export async function group(
  target: Target,
  { size, seconds, window = 8, progress }: {
    size: number;
    seconds: number;
    window?: number;
    progress: (line: string) => void;
  },
): Promise<FlowResult> {
  const members = await target.users(size);
  const id = await target.group(members);
  const senders = members.slice(0, Math.min(window, members.length)).map((client) => ({
    client,
    to: { type: "group" as const, id },
  }));
  return await measure(
    members,
    senders,
    seconds,
    { window: 1 },
    (n) => progress(`${target.name} group: ${n} sent`),
  );
}
