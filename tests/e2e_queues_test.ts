/**
 * What a connection may make the server hold: a flood of `read` frames is cut
 * off (4429) instead of queued, pings are answered during it, and no work goes
 * on once the client left; sockets that read pushes but never ack them are
 * closed (1008) once they hold too many, instead of growing the server.
 * Bounded floods on loopback; each prints its figures.
 */
import { assert, assertEquals } from "./assert.ts";
import { cpuMs, RawSocket, repeated, textFrame } from "./_raw_socket.ts";
import { befriend, friendPair, newUser, residentBytes, roundTrip, startServer } from "./harness.ts";

/** A process's resident memory in KiB. */
const rssKb = async (pid: number) => await residentBytes(pid) / 1024;

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Samples a process's RSS every 50 ms until stopped; returns the highest seen. */
function peakRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rssKb(pid));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test(
  "a flood of read frames is closed with 4429: pings answered during it, memory bounded, no work after the client left",
  opts,
  async () => {
    const FLOOD = 200_000;
    const server = await startServer();
    const pid = server.process!.pid;
    let flooder: RawSocket | null = null;
    try {
      const [a, b] = await friendPair(server.url);
      const { conversationId } = await a.send({ type: "user", id: b.self!.id }, {
        type: "text",
        text: "hi",
      });
      flooder = await RawSocket.open(server.url);
      await flooder.auth(b.token!);
      const before = await rssKb(pid);
      const peak = peakRss(pid);
      // Written as fast as the server takes it, in chunks; a real attacker would not stop, but
      // stopping once refused lets the server's close frame arrive instead of a reset.
      const chunk = repeated(JSON.stringify({ op: "read", conversationId, seq: 1 }), 2000);
      const refused = (frame: Record<string, unknown>) => frame.code === "rate_limited";
      const started = performance.now();
      let written = 0;
      const flood = (async () => {
        while (written < FLOOD && !flooder!.answered(refused)) {
          await flooder!.write(chunk);
          written += 2000;
        }
      })().catch(() => {}); // The server may close mid-way.
      // Another client's ping, while the flood arrives.
      const other = performance.now();
      await roundTrip(a);
      const otherMs = performance.now() - other;
      await flood;
      // The flooder's own ping behind the flood: answered at once, or the socket is already closed.
      await flooder.write(textFrame(JSON.stringify({ op: "ping" }))).catch(() => {});
      const pong = flooder.next((frame) => frame.op === "pong");
      const outcome = await Promise.race([
        pong.then((frame) => frame ? "pong" : "closed"),
        sleep(5000).then(() => "nothing"),
      ]);
      const pingMs = performance.now() - started;
      const code = await Promise.race([flooder.closed, sleep(2000).then(() => null)]);
      flooder.close(); // The client leaves.
      await sleep(500);
      const cpuBefore = await cpuMs(pid);
      await sleep(2000);
      const busy = (await cpuMs(pid) - cpuBefore) / 2000;
      const highest = await peak.stop();
      console.log(
        `read flood: ${written} frames (${
          (written * chunk.length / 2000 / 1048576).toFixed(1)
        } MiB) of ${FLOOD}; ` +
          `the flooder: ${outcome} after ${Math.round(pingMs)} ms (close code ${code}); ` +
          `another client's ping ${Math.round(otherMs)} ms; server RSS ${
            Math.round(before / 1024)
          } → peak ${Math.round(highest / 1024)} MiB; CPU after the client left ${
            Math.round(busy * 100)
          } %`,
      );
      assert(outcome !== "nothing", "the flooder's ping waited behind the flood");
      // The close frame (4429) comes after an error frame, unless the reset the kernel sends
      // for a socket closed with unread data overtakes both (then the code is 1006).
      const refusal = code === null ? null : await flooder.next(refused);
      assert(code === 4429 || (code === 1006 && refusal), `closed with ${code}`);
      assert(otherMs < 2000, `another client's ping took ${Math.round(otherMs)} ms`);
      // The peak is the frames read before the 4429 (50,000–70,000 of them, 4–6 MiB) and their
      // garbage, collected in V8's time: 30–37 MiB before issue 18, up to 48 MiB since (a counter,
      // a trace and the disabled-account check a frame make more garbage, and the heap starts
      // larger). Queuing all 200,000 frames as objects would take several times that.
      assert(highest - before < 64 * 1024, `RSS grew by ${highest - before} KiB`);
      assert(busy < 0.2, `the server kept working after the client left (${busy * 100} % CPU)`);
      await Promise.all([a.close(), b.close()]);
    } finally {
      flooder?.close();
      await server.stop("SIGKILL");
    }
  },
);

Deno.test(
  "sockets that read pushes but never ack are closed with 1008 past the pending bound; memory stays bounded",
  opts,
  async () => {
    const SOCKETS = 20;
    const MESSAGES = 2000;
    // Unacked pushes are resent every 2 s (30 s by default), so the 8 s this test holds the
    // sockets see what a minute of the default does: the pile, written again and again.
    // The 2,000 sends go as fast as the server takes them: no send limit in the way.
    const server = await startServer({
      env: {
        IM_REDELIVER_MS: "2000",
        IM_SEND_RATE: "10000",
        IM_SEND_BURST: "10000",
        // What this measures is the pile of unacked pushes. The search index's working memory
        // for 2,000 texts of one character 4,000 times over (some 85 MB: FTS5 merging doclists
        // thousands of positions long) would take up the bound; CI's run at 0125822 peaked
        // 150.1 MiB over the start. tests/e2e_flood_memory_test.ts bounds it with the index on.
        IM_BENCH_SEARCH_INDEX: "off",
      },
    });
    const pid = server.process!.pid;
    const sockets: RawSocket[] = [];
    try {
      const sender = await newUser(server.url);
      const sink = await newUser(server.url, { connect: false });
      await befriend(sender, sink);
      const sinkId = (await sink.me()).id;
      for (let i = 0; i < SOCKETS; i++) {
        const socket = await RawSocket.open(server.url);
        await socket.auth(sink.token!);
        socket.keep = false; // Reads every push, acks none.
        sockets.push(socket);
      }
      const codes: (number | null)[] = Array(SOCKETS).fill(null);
      sockets.forEach((socket, i) => socket.closed.then((code) => codes[i] = code));
      const before = await rssKb(pid);
      const peak = peakRss(pid);
      const started = performance.now();
      for (let i = 0; i < MESSAGES; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            sender.send({ type: "user", id: sinkId }, {
              type: "text",
              text: `${i + j} `.padEnd(4000, "x"),
            })),
        );
      }
      await roundTrip(sender);
      await sleep(8000);
      const seconds = (performance.now() - started) / 1000;
      const after = await rssKb(pid);
      const highest = await peak.stop();
      const closed = codes.filter((code) => code !== null);
      console.log(
        `unacked pushes: ${SOCKETS} sockets, ${MESSAGES} messages of 4000 characters in ${
          seconds.toFixed(1)
        } s; sockets closed: ${closed.length} (codes ${[...new Set(closed)]}); server RSS ${
          Math.round(before / 1024)
        } → peak ${Math.round(highest / 1024)} → ${Math.round(after / 1024)} MiB`,
      );
      assertEquals(codes, Array(SOCKETS).fill(1008));
      assert(sender.connected, "the sender, who acks, stays connected");
      // Before the bound the pending pushes stayed as long as the sockets; now they go with them.
      // What remains is the garbage of writing the pushes, which the collector frees in its time.
      assert(highest - before < 150 * 1024, `RSS grew by ${highest - before} KiB`);
      await sender.close();
    } finally {
      for (const socket of sockets) socket.close();
      await server.stop("SIGKILL");
    }
  },
);
