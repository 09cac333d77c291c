/**
 * The attacker's case of dedupe memory (issue 12, item 7): 5 accounts sending 4,000-character
 * messages at their rate limit for IM_FLOOD_SECONDS (60 by default) leave the server's resident
 * memory within a fixed bound once they disconnect. Of a message it accepted, the server may keep
 * in memory only the dedupe key and a short answer, and at most 100,000 keys
 * (shared/dedupe/memory.ts); the bound gives each key it can hold 1 KiB, far more than a key
 * and its answer take, and nothing to the text. The receiver stays offline, so no push is
 * pending: what remains is what the send path keeps.
 */
import { assert } from "./assert.ts";
import { befriend, newUser, residentBytes, startServer } from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SECONDS = Number(Deno.env.get("IM_FLOOD_SECONDS") ?? "60");
const SENDERS = 5;
/** The server's default send rate and burst per user (IM_SEND_RATE, IM_SEND_BURST). */
const RATE = 100;
const BURST = 200;
const TEXT = 4000;
/** Most keys the in-memory dedupe holds, and what each may cost in the bound. */
const DEDUPE_KEYS = 100_000;
const PER_KEY = 1024;
/** Room for what a busy minute leaves behind (allocator pages, the store's caches); no room for text. */
const SLACK = 24 * 2 ** 20;
/**
 * The search index's working memory in the store: SQLite's FTS5 buffers and merges, and the
 * indexer's batches, for texts that are one pair of characters 4,000 times over. It does not grow
 * with the messages: with the same start, 185 MB remained after 20 s of flood and 195 MB after 60
 * s (108 MB before), against about 140 MB without the index.
 */
const INDEX_SLACK = 48 * 2 ** 20;
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Sends no more than this many at a time without an answer: the server's pace, not a queue. */
const WINDOW = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The least resident memory of `pid` over some seconds: what it holds, not garbage to collect. */
async function settled(pid: number, seconds = 10): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < seconds * 2; i++) {
    least = Math.min(least, await residentBytes(pid));
    await sleep(500);
  }
  return least;
}

/**
 * Sends 4,000-character messages on `ws` until `until`, at `RATE` a second or as fast as the
 * server answers if that is slower; counts the answers.
 */
async function flood(ws: WebSocket, to: string, tag: string, until: number) {
  const counts = { sent: 0, refused: 0 };
  let inFlight = 0;
  ws.onmessage = (e) => {
    const frame = JSON.parse(e.data);
    // The sender's own copy of each message is pushed to it: ack it, as every client does
    // (a socket that leaves IM_MAX_PENDING_PUSHES unacked is closed).
    if (frame.op === "message") {
      const { conversationId, seq } = frame.message;
      ws.send(JSON.stringify({ op: "ack", conversationId, seq }));
    }
    if (frame.op === "sent") counts.sent++;
    if (frame.op === "error") counts.refused++;
    if (frame.op === "sent" || frame.op === "error") inFlight--;
  };
  const text = "x".repeat(TEXT);
  const start = Date.now();
  for (let i = 0; Date.now() < until;) {
    const due = start + (i * 1000) / RATE;
    if (inFlight >= WINDOW || Date.now() < due) {
      await sleep(Math.max(2, due - Date.now()));
      continue;
    }
    ws.send(JSON.stringify({
      op: "send",
      clientMsgId: `${tag}-${i}`,
      to: { type: "user", id: to },
      content: { type: "text", text: `${tag} ${i} ${text}`.slice(0, TEXT) },
    }));
    inFlight++;
    i++;
  }
  while (inFlight > 0 && Date.now() < until + 10_000) await sleep(50);
  return counts;
}

Deno.test(
  `${SENDERS} accounts sending ${TEXT}-character messages at their rate limit for ${SECONDS} s leave resident memory within the dedupe bound`,
  opts,
  async () => {
    const server = await startServer({
      env: { IM_SEND_RATE: String(RATE), IM_SEND_BURST: String(BURST) },
    });
    const pid = server.process!.pid;
    try {
      const receiver = await newUser(server.url, { connect: false });
      const to = (await receiver.me()).id;
      const senders = [];
      for (let i = 0; i < SENDERS; i++) {
        const sender = await newUser(server.url, { connect: false });
        await befriend(sender, receiver);
        senders.push(sender);
      }
      const sockets = await Promise.all(senders.map(async (s) => {
        const ws = new WebSocket(await s.connectUrl());
        await new Promise((resolve) => ws.onopen = resolve);
        const ready = new Promise((resolve) => ws.onmessage = resolve);
        ws.send(JSON.stringify({ op: "auth", token: s.token }));
        await ready;
        return ws;
      }));
      // A first flood, so the baseline is the state of the end: every code path and cache
      // loaded, a flood's garbage collected (idle V8 may keep it a while: hence 20 s); the keys
      // of the first flood count in the bound.
      const warmUp = Date.now() + Math.min(SECONDS, 10) * 1000;
      let warmPeak = 0;
      const warmSampler = setInterval(async () => {
        warmPeak = Math.max(warmPeak, await residentBytes(pid));
      }, 1000);
      const warm = await Promise.all(sockets.map((ws, i) => flood(ws, to, `warm${i}`, warmUp)));
      clearInterval(warmSampler);
      // The baseline is the higher of the warm-up's peak and what settled after it. Settled RSS
      // is two-valued on this machine: an idle server sometimes gives a flood's garbage back
      // within seconds and sometimes keeps it (a CI run settled at 113 MB after the warm-up and
      // 272 MB after the flood; local runs at 220–225 and 259–285 MB), so a settled baseline
      // alone fails a server that kept nothing. A server that kept a flood's texts still fails at
      // the default 60 s (114 MB of text); at CI's 30 s the test catches a leak of 90 MB or more.
      const before = Math.max(await settled(pid, 20), warmPeak);

      let peak = before;
      const sampler = setInterval(async () => {
        peak = Math.max(peak, await residentBytes(pid));
      }, 1000);
      const until = Date.now() + SECONDS * 1000;
      const counts = await Promise.all(sockets.map((ws, i) => flood(ws, to, `s${i}`, until)));
      clearInterval(sampler);
      for (const ws of sockets) ws.close();
      await Promise.all([receiver, ...senders].map((c) => c.close()));

      const sent = counts.reduce((n, c) => n + c.sent, 0);
      const refused = counts.reduce((n, c) => n + c.refused, 0);
      const keys = sent + warm.reduce((n, c) => n + c.sent, 0);
      const bound = before + Math.min(keys, DEDUPE_KEYS) * PER_KEY + SLACK + INDEX_SLACK;
      // Memory a collection can give back may take some seconds to go.
      let after = await settled(pid);
      for (let tries = 0; after > bound && tries < 2; tries++) after = await settled(pid);
      console.log(
        `flood memory: ${SECONDS} s, ${sent} messages accepted (${
          (sent * TEXT / 2 ** 20).toFixed(0)
        } MB of text), ${refused} refused; RSS ${MB(before)} before (warm-up peak ${
          MB(warmPeak)
        }), ${MB(peak)} at the peak, ${MB(after)} after; bound ${MB(bound)}`,
      );
      // A shared machine may not take the full rate; a tenth of it still makes the point.
      assert(sent >= SENDERS * RATE * SECONDS / 10, `only ${sent} messages were accepted`);
      assert(
        after <= bound,
        `RSS ${MB(after)} after the flood is over the bound ${MB(bound)} (${MB(before)} before)`,
      );
    } finally {
      await server.stop();
    }
  },
);
