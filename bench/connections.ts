/** The idle connections scenario: what a connection costs the server that holds it. */
import type { Target } from "./targets.ts";
import { processStats, sampleResident } from "./resident.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connections opened to one destination address before the next. */
const PER_ADDRESS = 25_000;

/** What the connections scenario measured. */
export interface ConnectionsResult {
  opened: number;
  /** Connections the server closed while they opened, by close code. */
  closed: Map<number, number>;
  /** RSS growth per connection (KB), NaN when within the noise of the samples. */
  rssPerConnectionKb: number;
  /** The noise the growth had to exceed: the larger spread of the two sample sets (KB). */
  noiseKb: number;
  /** RSS with the connections open (median, bytes). */
  residentBytes: number;
  idleCpuPercent: number;
}

/**
 * Opens `count` WebSockets authenticated with `token`, spread over loopback addresses; each
 * counts as settled once answered, failed, closed or 15 s old, so a refusal cannot stall the run.
 * Returns the sockets and, by code, how many the server closed.
 */
async function openIdle(
  wsUrl: string,
  token: string,
  count: number,
  onOpen: (n: number, closed: number) => void,
): Promise<{ sockets: WebSocket[]; closed: Map<number, number> }> {
  const sockets: WebSocket[] = [];
  const closed = new Map<number, number>();
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
          const timer = setTimeout(resolve, 15_000);
          const settle = () => {
            clearTimeout(timer);
            resolve();
          };
          const ws = new WebSocket(urls[Math.floor((i + j) / PER_ADDRESS)]);
          ws.onopen = () => ws.send(JSON.stringify({ op: "auth", token }));
          ws.onmessage = settle;
          ws.onerror = settle;
          ws.onclose = (event) => {
            closed.set(event.code, (closed.get(event.code) ?? 0) + 1);
            settle();
          };
          sockets.push(ws);
        })),
    );
    onOpen(sockets.length, [...closed.values()].reduce((a, b) => a + b, 0));
  }
  return { sockets, closed };
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
  const { sockets, closed } = await openIdle(
    wsUrl,
    token,
    count,
    (n, gone) => progress(`${target.name} connections: ${n} opened, ${gone} closed`),
  );
  progress(`${target.name} connections: ${sockets.length} open, settling`);
  await sleep(settleMs);
  const opened = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  const cpuBefore = await processStats(pid);
  const after = await sampleResident(pid, { count: 9, everyMs: 500 });
  const cpuAfter = await processStats(pid);
  const idleSeconds = 8 * 0.5;
  for (const s of sockets) {
    s.onclose = null;
    s.close();
  }
  const noise = Math.max(before.spread, after.spread);
  const growth = after.median - before.median;
  return {
    opened,
    closed,
    rssPerConnectionKb: growth > noise && opened > 0 ? growth / 1024 / opened : NaN,
    noiseKb: noise / 1024,
    residentBytes: after.median,
    idleCpuPercent: ((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / idleSeconds) * 100,
  };
}
