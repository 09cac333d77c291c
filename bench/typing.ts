/**
 * The typing scenario: message delivery between friend pairs at a fixed rate,
 * measured on one server in one run without and then with a load of typing
 * frames from other clients, to show what relaying typing costs the messages.
 *
 * The typing load is spread so that the 2 s rule (one relayed typing per user and
 * conversation per 2 s) does not simply drop it at connect: `typingRate` × 2.5 s
 * (user, conversation) pairs each type once every 2.5 s (TYPING_PERIOD_MS). Typists are users in a ring, each a
 * friend of the FRIENDS_EACH users after it and before it; every typing frame goes
 * to one peer. How many were relayed (received by a peer) is counted and reported.
 *
 * Typists type on sockets of their own, not through the SDK: frames made once and
 * sent as they are, and what comes back counted by its first bytes, unparsed, so
 * that the load costs the bench process as little as it can and the figures are
 * the server's rather than the load generator's.
 */
import { cpuUsage } from "node:process";
import type { ImClient } from "../client/mod.ts";
import { processStats } from "./resident.ts";
import { drive, type FlowResult, friendPairs, recorder, sleep } from "./scenarios.ts";
import type { Target } from "./targets.ts";

/**
 * Each (user, conversation) pair types once in this many ms: half a second over the
 * 2 s rule, so that a bench process late by up to that much on one frame of a pair
 * and on time on the next does not see the second dropped.
 */
export const TYPING_PERIOD_MS = 2500;
/** Private conversations of each typist (friends on either side in the ring). */
const FRIENDS_EACH = 50;
/** Friend requests (and their accepts) under way at once while the ring is made. */
const SETUP_CONCURRENCY = 32;

/** Figures of the typing scenario. */
export interface TypingResult {
  /** The message flow alone. */
  quiet: FlowResult;
  /** The same flow while the typing load runs. */
  loaded: FlowResult;
  /** The server's CPU (% of one core) during each flow: what the typing load costs it. */
  quietCpuPercent: number;
  loadedCpuPercent: number;
  /** This bench process's CPU during each flow: near 100 %, the load generator is the limit. */
  quietBenchCpuPercent: number;
  loadedBenchCpuPercent: number;
  /** (user, conversation) pairs typing, and typists. */
  keys: number;
  typists: number;
  /** Typing frames the clients sent per second during the loaded flow. */
  typingSentPerSec: number;
  /** Typing frames received by peers per second during the loaded flow. */
  typingRelayedPerSec: number;
  /** Error frames the typists received (none expected: they type where they may). */
  typingErrors: number;
}

/** How many users after each one a ring of `users` befriends (as many before it befriend it). */
function ringReach(users: number): number {
  return Math.min(FRIENDS_EACH / 2, Math.floor((users - 1) / 2));
}

/** A typing frame, ready to send, and the socket that sends it. */
interface Typist {
  socket: WebSocket;
  frame: string;
}

/** Typists' sockets opened at once. */
const OPEN_CONCURRENCY = 20;
/** How often an idle typist's socket pings, well inside the server's idle timeout. */
const KEEPALIVE_MS = 20_000;

/**
 * Opens a socket of its own for a user whose SDK client is closed first, signs it
 * in, and hands each frame it receives after `ready` to `onFrame`, as text.
 */
async function typistSocket(client: ImClient, onFrame: (data: string) => void): Promise<WebSocket> {
  const url = await client.connectUrl();
  const token = client.token!;
  await client.close();
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`typist socket to ${url} failed`));
  });
  await new Promise<void>((resolve, reject) => {
    socket.onmessage = (event) => {
      if (String(event.data).startsWith('{"op":"ready"')) resolve();
    };
    socket.onclose = (event) =>
      reject(new Error(`typist socket closed before ready: ${event.code} ${event.reason}`));
    socket.send(JSON.stringify({ op: "auth", token }));
  });
  socket.onmessage = (event) => onFrame(String(event.data));
  socket.onclose = null;
  return socket;
}

/**
 * `users` typists in a ring, each a friend of the `FRIENDS_EACH / 2` users after it
 * (and so of as many before it), each on a socket of its own (`onFrame` hears what
 * they receive); returns one entry per (user, conversation) pair, ordered so that
 * consecutive entries belong to different users.
 */
async function typingRing(
  target: Target,
  users: number,
  onFrame: (data: string) => void,
  progress: (line: string) => void,
): Promise<{ typists: Typist[]; sockets: WebSocket[] }> {
  const clients = await target.users(users);
  const reach = ringReach(users);
  const pairs: [number, number][] = [];
  for (let k = 1; k <= reach; k++) {
    for (let i = 0; i < users; i++) pairs.push([i, (i + k) % users]);
  }
  let done = 0;
  for (let i = 0; i < pairs.length; i += SETUP_CONCURRENCY) {
    await Promise.all(
      pairs.slice(i, i + SETUP_CONCURRENCY).map(async ([a, b]) => {
        const { request } = await clients[a].requestFriend(clients[b].self!.id);
        if (request) await clients[b].acceptFriend(request.id);
      }),
    );
    done += Math.min(SETUP_CONCURRENCY, pairs.length - i);
    if (done % 1024 < SETUP_CONCURRENCY) progress(`typing: ${done}/${pairs.length} friendships`);
  }
  const ids = clients.map((c) => c.self!.id);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < clients.length; i += OPEN_CONCURRENCY) {
    sockets.push(
      ...await Promise.all(
        clients.slice(i, i + OPEN_CONCURRENCY).map((c) => typistSocket(c, onFrame)),
      ),
    );
  }
  const conversationId = (a: string, b: string) => {
    const [x, y] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
    return `u:${x}:${y}`;
  };
  const frame = (id: string) => JSON.stringify({ op: "typing", conversationId: id });
  const typists = pairs.flatMap(([a, b]) => {
    const id = conversationId(ids[a], ids[b]);
    return [{ socket: sockets[a], frame: frame(id) }, { socket: sockets[b], frame: frame(id) }];
  });
  return { typists, sockets };
}

/**
 * Sends typing frames at `rate` per second in total, round-robin over `typists`
 * (each therefore every `typists.length / rate` s), until `stop()`; paced by the
 * clock, so a late timer catches up rather than lowering the rate.
 */
function typingLoad(typists: Typist[], rate: number) {
  const started = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due) {
      const { socket, frame } = typists[sent % typists.length];
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      sent++;
    }
  }, 10);
  return {
    /** Frames sent so far. */
    get sent(): number {
      return sent;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

/**
 * `pairs` friend pairs sending `rate` messages per second in total for `seconds`,
 * then again for `seconds` while typists send `typingRate` typing frames per second.
 */
export async function typing(
  target: Target,
  { pairs, rate, typingRate, seconds, progress }: {
    pairs: number;
    rate: number;
    typingRate: number;
    seconds: number;
    progress: (line: string) => void;
  },
): Promise<TypingResult> {
  const keys = Math.ceil((typingRate * TYPING_PERIOD_MS) / 1000);
  // Enough typists that the ring holds `keys` pairs (a small ring has fewer friends each).
  let typistCount = 3;
  while (typistCount * 2 * ringReach(typistCount) < keys) typistCount++;
  progress(`typing: ${typistCount} typists`);
  let counting = false;
  let relayed = 0;
  let errors = 0;
  const { typists, sockets } = await typingRing(target, typistCount, (data) => {
    if (!counting) return;
    if (data.startsWith('{"op":"typing"')) relayed++;
    else if (data.startsWith('{"op":"error"')) errors++;
  }, progress);
  const keepAlive = setInterval(() => {
    for (const socket of sockets) {
      if (socket.readyState === WebSocket.OPEN) socket.send('{"op":"ping"}');
    }
  }, KEEPALIVE_MS);
  const { clients, senders } = await friendPairs(target, pairs);

  const pid = target.connectPid(target.url);
  const cpu: number[] = [];
  const benchCpu: number[] = [];
  const flow = async (label: string): Promise<FlowResult> => {
    const rec = recorder(clients);
    rec.start();
    const cpuBefore = (await processStats(pid)).cpuSeconds;
    const benchBefore = cpuUsage();
    const started = performance.now();
    const sent = await drive(
      senders,
      seconds,
      { rate },
      (n) => progress(`${target.name} typing, ${label}: ${n} sent`),
    );
    await sleep(500);
    const elapsed = (performance.now() - started) / 1000;
    const { deliveries, latencies } = rec.stop();
    cpu.push((((await processStats(pid)).cpuSeconds - cpuBefore) / elapsed) * 100);
    const bench = cpuUsage(benchBefore);
    benchCpu.push(((bench.user + bench.system) / 1e6 / elapsed) * 100);
    return {
      deliveriesPerSec: deliveries / elapsed,
      messagesPerSec: sent / elapsed,
      stored: sent,
      latencies,
    };
  };

  await drive(senders, 1, { window: 1 }, () => {});
  await sleep(300);
  const quiet = await flow("no typing");

  const load = typingLoad(typists, typingRate);
  // A full round of the typists first, so the load is steady when the flow starts.
  await sleep(TYPING_PERIOD_MS);
  const sentBefore = load.sent;
  counting = true;
  const typingStart = performance.now();
  const loaded = await flow(`${typingRate} typing/s`);
  const typingSeconds = (performance.now() - typingStart) / 1000;
  const typingSent = load.sent - sentBefore;
  counting = false;
  load.stop();
  clearInterval(keepAlive);
  for (const socket of sockets) socket.close();
  await Promise.all(clients.map((c) => c.close()));
  return {
    quiet,
    loaded,
    quietCpuPercent: cpu[0],
    loadedCpuPercent: cpu[1],
    quietBenchCpuPercent: benchCpu[0],
    loadedBenchCpuPercent: benchCpu[1],
    keys: typists.length,
    typists: sockets.length,
    typingSentPerSec: typingSent / typingSeconds,
    typingRelayedPerSec: relayed / typingSeconds,
    typingErrors: errors,
  };
}
