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
/** Room for what any busy minute leaves (allocator pages, the store's caches), text excluded. */
const SLACK = 64 * 2 ** 20;
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Sends no more than this many at a time without an answer: the server's pace, not a queue. */
const WINDOW = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends 4,000-character messages on `ws` until `until`, at `RATE` a second or as fast as the
 * server answers if that is slower; counts the answers.
 */
async function flood(ws: WebSocket, to: string, tag: string, until: number) {
  const counts = { sent: 0, refused: 0 };
  let inFlight = 0;
  ws.onmessage = (e) => {
    const frame = JSON.parse(e.data);
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
      // A short warm-up at the same pace, so the baseline has every code path and cache loaded.
      await Promise.all(sockets.map((ws, i) => flood(ws, to, `warm${i}`, Date.now() + 3000)));
      await sleep(2000);
      const before = await residentBytes(pid);

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
      const bound = before + Math.min(sent, DEDUPE_KEYS) * PER_KEY + SLACK;
      // Memory a collection can give back may take a few seconds to go.
      const deadline = Date.now() + 20_000;
      let after = await residentBytes(pid);
      while (after > bound && Date.now() < deadline) {
        await sleep(1000);
        after = await residentBytes(pid);
      }
      console.log(
        `flood memory: ${SECONDS} s, ${sent} messages accepted (${
          (sent * TEXT / 2 ** 20).toFixed(0)
        } MB of text), ${refused} refused; RSS ${MB(before)} before, ${MB(peak)} at the peak, ${
          MB(after)
        } after; bound ${MB(bound)}`,
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
