/**
 * A client that stops reading: the server closes it once its send buffer passes
 * the bound, its memory stops growing, its user goes offline, and other clients
 * go on chatting. The slow client is a raw TCP socket that speaks just enough
 * WebSocket to authenticate and then never reads again.
 */
import { assert, assertEquals } from "./assert.ts";
import { textFrame as frame } from "./_raw_socket.ts";
import {
  befriend,
  collect,
  eventually,
  friendPair,
  newUser,
  residentBytes,
  startServer,
  waitFor,
} from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const BUFFER = 256 * 1024;

/** A process's resident memory in KiB. */
const rssKb = async (pid: number) => await residentBytes(pid) / 1024;

Deno.test(
  "a client that stops reading is closed at the send-buffer bound; memory stays bounded; others are unaffected",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-slow-" });
    const server = await startServer({
      dataDir,
      env: {
        IM_SEND_BUFFER_BYTES: String(BUFFER),
        IM_SEND_RATE: "100000",
        IM_SEND_BURST: "100000",
        // What this measures is the send buffer: the search index's working memory (some 30 MB
        // for these texts, one pair of characters 3,000 times over) would hide a server that
        // kept all 12 MiB offered. tests/e2e_flood_memory_test.ts bounds it with the index on.
        IM_BENCH_SEARCH_INDEX: "off",
      },
    });
    const pid = server.process!.pid;
    let conn: Deno.TcpConn | null = null;
    try {
      const sender = await newUser(server.url);
      const slow = await newUser(server.url, { connect: false });
      await befriend(sender, slow);
      const [a, b] = await friendPair(server.url);

      const port = Number(new URL(server.url).port);
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ));
      const slowId = (await slow.me()).id;
      const online = waitFor(sender, "presence", (p) => p.userId === slowId && p.online);
      await conn.write(frame(JSON.stringify({ op: "auth", token: slow.token })));
      await online;
      const before = await rssKb(pid);

      // Flood the slow user (every message is also pushed to the sender, who reads) while a and b chat.
      const offline = waitFor(sender, "presence", (p) => p.userId === slowId && !p.online, 30_000);
      const chat = collect(b, "message");
      const latencies: number[] = [];
      b.on("message", (m) => latencies.push(Date.now() - m.sentAt));
      const text = "x".repeat(3000);
      let flooded = 0;
      const flood = (async () => {
        for (let i = 0; i < 400; i++) {
          await Promise.all(
            Array.from(
              { length: 10 },
              () => sender.send({ type: "user", id: slowId }, { type: "text", text }),
            ),
          );
          flooded += 10;
        }
      })();
      for (let i = 0; i < 40; i++) {
        await a.send({ type: "user", id: b.self!.id }, { type: "text", text: `hi ${i}` });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await offline;
      await flood;
      await eventually(() => chat.length === 40);
      const after = await rssKb(pid);
      latencies.sort((x, y) => x - y);
      const p99 = latencies[Math.floor(latencies.length * 0.99)];
      console.log(
        `slow client: ${flooded} messages of 3 KB (${
          (flooded * 3 / 1024).toFixed(1)
        } MiB) offered; ` +
          `server RSS ${Math.round(before / 1024)} → ${
            Math.round(after / 1024)
          } MiB; others' p99 ${p99} ms`,
      );
      // What the server holds for the slow client, by its own count: once it is closed, no push
      // waits for its ack and its connection is gone (the sender, a and b ack everything).
      await eventually(async () => {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        const value = (name: string) =>
          Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? NaN);
        return value("im_pushes_pending_ack") === 0 && value("im_connections_open") === 3;
      }, 10_000);
      // Everything offered to the slow client was ~12 MiB; what the server holds for it stays near
      // the bound. The rest of the growth is heap slack of two threads (the server's and the store
      // worker's) after 4,000 messages passed through both: 40–45 MiB on the 2-core machine before
      // issue 18, 50–64 MiB since (prom-client, the OpenTelemetry API and the logger make the live
      // heap at the start some 10 MiB larger, and V8 grows its heap in proportion to the live heap;
      // with 12,000 messages the growth was 94 MiB before and 98 MiB after, so it is slack, not a
      // leak). The count above is the exact check; this one catches gross retention.
      assert(after - before < 72 * 1024, `RSS grew by ${after - before} KB`);
      assertEquals(
        chat.map((m) => m.content),
        Array.from({ length: 40 }, (_, i) => ({ type: "text" as const, text: `hi ${i}` })),
      );
      await Promise.all([sender.close(), a.close(), b.close()]);
    } finally {
      conn?.close();
      await server.stop("SIGKILL");
    }
  },
);
