/** The benchmark's scenarios: each returns figures measured from what clients actually received. */
import type { ImClient } from "../client/mod.ts";
import type { Target } from "./targets.ts";
import { residentBytes } from "../tests/harness.ts";

/** Throughput and latency of one scenario run. */
export interface FlowResult {
  deliveriesPerSec: number;
  messagesPerSec: number;
  /** Send→receive latencies in milliseconds (sub-millisecond), sorted. */
  latencies: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
function recorder(clients: ImClient[]) {
  let counting = false;
  let deliveries = 0;
  const latencies: number[] = [];
  for (const c of clients) {
    c.on("message", (m) => {
      if (!counting || m.from === c.self!.id) return;
      deliveries++;
      const ms = sinceSent(m.clientMsgId);
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
): Promise<FlowResult> {
  const rec = recorder(clients);
  await drive(senders, 1, { window: 1 }, () => {});
  await sleep(300);
  rec.start();
  const started = performance.now();
  const sent = await drive(senders, seconds, load, onTick);
  await sleep(500);
  const elapsed = (performance.now() - started) / 1000;
  const { deliveries, latencies } = rec.stop();
  await Promise.all(clients.map((c) => c.close()));
  return { deliveriesPerSec: deliveries / elapsed, messagesPerSec: sent / elapsed, latencies };
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
  { pairs, seconds, window, rate, progress }: {
    pairs: number;
    seconds: number;
    window?: number;
    rate?: number;
    progress: (line: string) => void;
  },
): Promise<FlowResult> {
  const { clients, senders } = await friendPairs(target, pairs);
  return await measure(
    clients,
    senders,
    seconds,
    { window, rate },
    (n) => progress(`${target.name} pairs: ${n} sent`),
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

/**
 * Resident memory (KB) and CPU seconds of a process; the CPU time from /proc/<pid>/stat in clock
 * ticks (through `cat`, since Deno reads another process's /proc only with --allow-all), else
 * from `ps` in whole seconds.
 */
export async function processStats(pid: number): Promise<{ rssKb: number; cpuSeconds: number }> {
  const rssKb = (await residentBytes(pid)) / 1024;
  const stat = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
    .output();
  const fields = new TextDecoder().decode(stat.stdout).split(") ")[1]?.split(" ") ?? [];
  // utime and stime, fields 14 and 15 of the line, in ticks of 1/100 s (USER_HZ).
  if (stat.success && fields.length > 12) {
    return { rssKb, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  }
  const { stdout } = await new Deno.Command("ps", { args: ["-o", "cputimes=", "-p", String(pid)] })
    .output();
  return { rssKb, cpuSeconds: Number(new TextDecoder().decode(stdout).trim()) };
}

/** Connections opened to one destination address before the next. */
const PER_ADDRESS = 25_000;

/** The median of values. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

/** `count` RSS samples of a process, `everyMs` apart: their median and spread (bytes). */
export async function sampleResident(
  pid: number,
  { count = 7, everyMs = 250 }: { count?: number; everyMs?: number } = {},
): Promise<{ median: number; spread: number }> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(everyMs);
    samples.push(await residentBytes(pid));
  }
  return { median: median(samples), spread: Math.max(...samples) - Math.min(...samples) };
}

/** What the connections scenario measured. */
export interface ConnectionsResult {
  opened: number;
  /** RSS growth per connection (KB), NaN when within the noise of the samples. */
  rssPerConnectionKb: number;
  /** The noise the growth had to exceed: the larger spread of the two sample sets (KB). */
  noiseKb: number;
  /** RSS with the connections open (median, bytes). */
  residentBytes: number;
  idleCpuPercent: number;
}

/** Opens `count` WebSockets authenticated with `token`, spread over loopback addresses. */
async function openIdle(
  wsUrl: string,
  token: string,
  count: number,
  onOpen: (n: number) => void,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  // One destination address gives about 28,000 ephemeral source ports: spread
  // the connections over 127.0.0.1, 127.0.0.2, … (servers listen on 0.0.0.0).
  const urls = Array.from({ length: Math.ceil(count / PER_ADDRESS) }, (_, i) => {
    const url = new URL(wsUrl);
    url.hostname = `127.0.0.${i + 1}`;
    return url.toString();
  });
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, (_, j) =>
        new Promise<void>((resolve) => {
          const ws = new WebSocket(urls[Math.floor((i + j) / PER_ADDRESS)]);
          ws.onopen = () => ws.send(JSON.stringify({ op: "auth", token }));
          ws.onmessage = () => resolve();
          ws.onerror = () => resolve();
          sockets.push(ws);
        })),
    );
    onOpen(sockets.length);
  }
  return sockets;
}

/**
 * Idle authenticated connections: memory per connection and idle CPU of the connect process.
 * RSS is the median of several samples taken after a settle, before and after; a growth
 * within the samples' spread is reported as not measurable (NaN) rather than as a number.
 */
export async function connections(
  target: Target,
  { count, settleMs = 3000, progress }: {
    count: number;
    settleMs?: number;
    progress: (line: string) => void;
  },
): Promise<ConnectionsResult> {
  const [owner] = await target.users(1);
  const token = owner.token!;
  const wsUrl = await owner.connectUrl();
  await owner.close();
  const pid = target.connectPid(wsUrl);
  progress(`${target.name} connections: settling`);
  await sleep(settleMs);
  const before = await sampleResident(pid);
  const sockets = await openIdle(
    wsUrl,
    token,
    count,
    (n) => progress(`${target.name} connections: ${n} open`),
  );
  progress(`${target.name} connections: ${sockets.length} open, settling`);
  await sleep(settleMs);
  const opened = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  const cpuBefore = await processStats(pid);
  const after = await sampleResident(pid, { count: 9, everyMs: 500 });
  const cpuAfter = await processStats(pid);
  const idleSeconds = 8 * 0.5;
  for (const s of sockets) s.close();
  const noise = Math.max(before.spread, after.spread);
  const growth = after.median - before.median;
  return {
    opened,
    rssPerConnectionKb: growth > noise && opened > 0 ? growth / 1024 / opened : NaN,
    noiseKb: noise / 1024,
    residentBytes: after.median,
    idleCpuPercent: ((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / idleSeconds) * 100,
  };
}
