/**
 * The transport under attack, against the embedded server (its open-file limit lowered so a
 * flood can reach it): floods of idle connections, request heads that never end, idle
 * keep-alive connections, oversized WebSocket frames, and unauthenticated sockets. Every flood
 * is on loopback, bounded in count and time, and stops by itself.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { eventually, residentBytes, type Server, startServer, upgradeRequest } from "./harness.ts";

const OPEN_FILES = 256;

/** The port of a server's URL. */
function portOf(server: Server): number {
  return Number(new URL(server.url).port);
}

/**
 * `GET /healthz` over a fresh connection from `localAddress`: the status and how long the answer
 * took, or the status 0 when there was none within `timeoutMs`.
 */
function healthz(
  port: number,
  localAddress: string,
  timeoutMs = 2000,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    let text = "";
    const done = (status: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, ms: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => done(0), timeoutMs);
    socket.on("connect", () => socket.write("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"));
    socket.on("data", (chunk) => {
      text += chunk;
      const match = /^HTTP\/1\.1 (\d+)/.exec(text);
      if (match && text.includes("\r\n\r\n")) done(Number(match[1]));
    });
    socket.on("error", () => done(0));
    socket.on("close", () => done(0));
  });
}

/** Opens up to `count` connections from 127.0.0.1 that send `first` (if anything) and then nothing. */
async function flood(port: number, count: number, first = ""): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      if (first) await conn.write(new TextEncoder().encode(first)).catch(() => 0);
      conns.push(conn);
    } catch {
      // Refused (the backlog is full): the flood goes on.
    }
  }
  return conns;
}

/** How many of `conns` the server has closed within `ms` (a read ends or fails). */
async function closedWithin(conns: Deno.Conn[], ms: number): Promise<number> {
  const buffer = new Uint8Array(4096);
  const results = await Promise.all(conns.map(async (conn) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const read = await Promise.race([
        conn.read(buffer).catch(() => null),
        new Promise<"open">((r) => setTimeout(() => r("open"), deadline - Date.now())),
      ]);
      if (read === "open") return false;
      if (read === null) return true; // Closed by the server (or reset).
    }
    return false;
  }));
  return results.filter(Boolean).length;
}

function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** Whether the server process is still running. */
async function alive(server: Server): Promise<boolean> {
  const exited = await Promise.race([
    server.process!.status.then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 100)),
  ]);
  return !exited;
}

const embedded = Deno.env.get("IM_E2E_MODE") !== "cluster";

Deno.test({
  name: "a flood from one address up to the open-file limit ends nothing and keeps no one else out",
  ignore: !embedded,
  async fn() {
    const server = await startServer({
      openFiles: OPEN_FILES,
      env: { IM_MAX_HTTP_CONNECTIONS_PER_ADDRESS: "64", IM_HEADERS_TIMEOUT_MS: "3000" },
    });
    const port = portOf(server);
    try {
      // More connections than the server has descriptors, sending nothing.
      const conns = await flood(port, OPEN_FILES + 50);
      const during = [];
      for (let i = 0; i < 3; i++) during.push(await healthz(port, "127.0.0.2"));
      console.log(`flood: ${conns.length} connections; /healthz from 127.0.0.2 during it:`, during);
      assert.ok(await alive(server), "the server process exited during the flood");
      assert.deepEqual(during.map((d) => d.status), [200, 200, 200]);
      closeAll(conns);
      const after = await healthz(port, "127.0.0.1");
      console.log("/healthz from 127.0.0.1 after the flood:", after);
      assert.equal(after.status, 200);
    } finally {
      await server.stop("SIGKILL");
    }
  },
});

Deno.test({
  name: "when connections would exhaust the descriptors, new ones are shed and the server recovers",
  ignore: !embedded,
  async fn() {
    // No per-address cap in the way: the flood runs into the server's ceiling.
    const server = await startServer({ openFiles: OPEN_FILES });
    const port = portOf(server);
    try {
      for (let round = 0; round < 2; round++) {
        const conns = await flood(port, OPEN_FILES + 50, "GET / HTTP/1.1\r\n");
        assert.ok(await alive(server), "the server process exited during the flood");
        closeAll(conns);
        const after = await healthz(port, "127.0.0.1", 5000);
        console.log(`round ${round}: ${conns.length} flooding; /healthz after:`, after);
        assert.equal(after.status, 200);
      }
    } finally {
      await server.stop("SIGKILL");
    }
  },
});

Deno.test({
  name: "a request head not finished in time, and an idle keep-alive connection, are closed",
  ignore: !embedded,
  async fn() {
    const server = await startServer({
      env: { IM_HEADERS_TIMEOUT_MS: "1000", IM_KEEP_ALIVE_TIMEOUT_MS: "1000" },
    });
    const port = portOf(server);
    try {
      const silent = await flood(port, 10);
      const trickling = await flood(port, 10, "GET /healthz HTTP/1.1\r\nx-a: 1\r\n");
      const idle = await flood(port, 10, "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
      const [a, b, c] = await Promise.all([
        closedWithin(silent, 4000),
        closedWithin(trickling, 4000),
        closedWithin(idle, 4000),
      ]);
      closeAll([...silent, ...trickling, ...idle]);
      assert.deepEqual({ silent: a, trickling: b, idle: c }, {
        silent: 10,
        trickling: 10,
        idle: 10,
      });
    } finally {
      await server.stop("SIGKILL");
    }
  },
});

/** The server's resident memory, in MiB. */
async function rssMiB(server: Server): Promise<number> {
  return await residentBytes(server.process!.pid) / 2 ** 20;
}

/**
 * Opens a WebSocket by hand, declares a text frame of `declared` bytes and sends up to that
 * many: returns how many it could send and the close code the server sent (0: none).
 */
async function oversizedFrame(port: number, declared: number): Promise<[number, number]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  await conn.write(encoder.encode(
    `GET /ws HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
      `sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n`,
  ));
  const buffer = new Uint8Array(4096);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("no upgrade");
    head += new TextDecoder().decode(buffer.subarray(0, n));
  }
  assert.match(head, /^HTTP\/1\.1 101/);
  // FIN + text, masked, 64-bit length, then the mask key.
  const header = new Uint8Array(14);
  header.set([0x81, 0x80 | 127]);
  new DataView(header.buffer).setBigUint64(2, BigInt(declared));
  header.set([1, 2, 3, 4], 10);
  let code = 0;
  const closed = (async () => {
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      const at = buffer.subarray(0, n).indexOf(0x88);
      if (at >= 0 && n >= at + 4) code = (buffer[at + 2] << 8) | buffer[at + 3];
    }
  })();
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x61 ^ 1);
  try {
    await conn.write(header);
    while (sent < declared && code === 0) sent += await conn.write(chunk);
  } catch {
    // The server closed the connection.
  }
  conn.close();
  await closed;
  return [sent, code];
}

Deno.test({
  name:
    "a WebSocket frame over the limit closes the socket with 1009 before it is read, even before auth",
  ignore: !embedded,
  async fn() {
    const server = await startServer();
    const port = portOf(server);
    try {
      const before = await rssMiB(server);
      const frames = 8;
      const declared = 60_000_000;
      const results = await Promise.all(
        Array.from({ length: frames }, () => oversizedFrame(port, declared)),
      );
      const after = await rssMiB(server);
      const sentMiB = results.reduce((sum, [sent]) => sum + sent, 0) / 2 ** 20;
      console.log(
        `${frames} frames of ${declared / 1e6} MB declared: ${sentMiB.toFixed(1)} MiB could be ` +
          `sent; server RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB; close codes`,
        results.map(([, code]) => code),
      );
      assert.deepEqual(results.map(([, code]) => code), Array(frames).fill(1009));
      assert.ok(after - before < 64, `the server grew by ${(after - before).toFixed(0)} MiB`);
    } finally {
      await server.stop("SIGKILL");
    }
  },
});

Deno.test({
  name: "sockets that have not authenticated are capped per address (429), far below the others",
  ignore: !embedded,
  async fn() {
    const server = await startServer({ env: { IM_MAX_UNAUTHENTICATED_PER_ADDRESS: "5" } });
    const ws = server.url.replace(/^http/, "ws") + "/ws";
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const socket = new WebSocket(ws);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        sockets.push(socket);
      }
      const refused = await upgradeRequest(ws);
      await refused.body?.cancel();
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), "10");
      const closed = new Promise((resolve) => sockets[0].onclose = resolve);
      sockets[0].close();
      await closed;
      const accepted = await eventually(async () => {
        const response = await upgradeRequest(ws);
        await response.body?.cancel();
        return response.status === 101;
      });
      assert.ok(accepted);
    } finally {
      for (const socket of sockets) socket.close();
      await server.stop("SIGKILL");
    }
  },
});
