import assert from "node:assert/strict";
import { connectionCeiling, type HttpServer, serveHttp } from "./http_server.ts";

const LIMITS = {
  maxConnections: 100,
  httpConnectionsPerAddress: 2,
  headersTimeoutMs: 5000,
  keepAliveTimeoutMs: 5000,
};

function start(
  handler: () => Response | Promise<Response> = () => new Response("ok"),
): Promise<HttpServer> {
  return serveHttp({ host: "127.0.0.1", port: 0, limits: LIMITS, handler });
}

/** Writes `text` on a new connection and reads until `done` says the answer is complete or it closes. */
async function exchange(
  port: number,
  text: string,
  done: (answer: string) => boolean,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(text));
  const buffer = new Uint8Array(4096);
  let answer = "";
  const timer = setTimeout(() => conn.close(), 3000);
  try {
    while (!done(answer)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      answer += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch {
    // Closed by the timer.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
  return answer;
}

const count = (text: string, part: string) => text.split(part).length - 1;

Deno.test("serveHttp() answers the next request of a connection whose body the handler never read", async () => {
  const server = await start(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return new Response("ok");
  });
  const body = "x".repeat(200_000);
  const post = `POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  const answer = await exchange(
    server.port,
    post + post,
    (text) => count(text, "HTTP/1.1 200") === 2,
  );
  assert.equal(count(answer, "HTTP/1.1 200"), 2);
  await server.shutdown();
});

Deno.test("serveHttp() closes a plain HTTP connection over its address's cap", async () => {
  const server = await start();
  const held = [
    await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
  ];
  const third = await exchange(server.port, "GET / HTTP/1.1\r\nhost: x\r\n\r\n", () => false);
  assert.equal(third, "");
  held[0].close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const fourth = await exchange(
    server.port,
    "GET / HTTP/1.1\r\nhost: x\r\n\r\n",
    (text) => text.includes("ok"),
  );
  assert.match(fourth, /^HTTP\/1\.1 200/);
  held[1].close();
  await server.shutdown();
});

Deno.test("serveHttp() without WebSockets answers an upgrade with 404", async () => {
  const server = await start();
  const answer = await exchange(
    server.port,
    "GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n",
    () => false,
  );
  assert.match(answer, /^HTTP\/1\.1 404/);
  await server.shutdown();
});

Deno.test("connectionCeiling() keeps a reserve of at least 64 descriptors, or a tenth", () => {
  assert.equal(connectionCeiling(144), 80);
  assert.equal(connectionCeiling(20_000), 18_000);
  assert.equal(connectionCeiling(50), 16);
});
