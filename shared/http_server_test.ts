import assert from "node:assert/strict";
import { connectionCeiling, type HttpHandler, type HttpServer, serveHttp } from "./http_server.ts";
import { snapshot } from "./_metric_value.ts";
import { currentTrace } from "./trace.ts";

const LIMITS = {
  maxConnections: 100,
  httpConnectionsPerAddress: 2,
  headersTimeoutMs: 5000,
  keepAliveTimeoutMs: 5000,
};

function start(
  handler: HttpHandler = () => new Response("ok"),
  onError?: (error: unknown) => void,
): Promise<HttpServer> {
  return serveHttp({ host: "127.0.0.1", port: 0, limits: LIMITS, handler, onError });
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

Deno.test("serveHttp() counts requests by method and status class, an unknown method as other", async () => {
  const server = await start((request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === "/boom") throw new Error("handler failed on purpose");
    return new Response(null, { status: path === "/missing" ? 404 : 200 });
  }, () => {});
  const metrics = await snapshot({
    get2xx: ["im_http_requests_total", { method: "GET", status: "2xx" }],
    get4xx: ["im_http_requests_total", { method: "GET", status: "4xx" }],
    post2xx: ["im_http_requests_total", { method: "POST", status: "2xx" }],
    post5xx: ["im_http_requests_total", { method: "POST", status: "5xx" }],
    other: ["im_http_requests_total", { method: "other" }],
  });
  const base = `http://127.0.0.1:${server.port}`;
  const statuses = [];
  for (
    const [method, path] of [
      ["GET", "/"],
      ["GET", "/"],
      ["GET", "/missing"],
      ["POST", "/"],
      ["POST", "/boom"],
      ["PROPFIND", "/"],
    ]
  ) {
    const response = await fetch(`${base}${path}`, { method });
    await response.body?.cancel();
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, [200, 200, 404, 200, 500, 200]);
  assert.deepEqual(await metrics.delta(), {
    get2xx: 2,
    get4xx: 1,
    post2xx: 1,
    post5xx: 1,
    other: 1,
  });
  const refused = await exchange(
    server.port,
    "GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n",
    (text) => text.includes("\r\n\r\n"),
  );
  assert.match(refused, /^HTTP\/1\.1 404/);
  assert.equal((await metrics.delta()).get4xx, 2, "an upgrade refused counts as its status");
  await server.shutdown();
});

Deno.test("serveHttp() runs the handler in a span, the child of a valid traceparent header, else of a new trace", async () => {
  const seen: (string | undefined)[] = [];
  const server = await start(() => {
    seen.push(currentTrace()?.traceparent);
    return new Response("ok");
  });
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  for (
    const traceparent of [`00-${traceId}-00f067aa0ba902b7-01`, "00-garbage-01", undefined]
  ) {
    const response = await fetch(`http://127.0.0.1:${server.port}/`, {
      headers: traceparent ? { traceparent } : {},
    });
    await response.body?.cancel();
  }
  await server.shutdown();
  const traces = seen.map((traceparent) => traceparent?.split("-"));
  assert.equal(traces.length, 3);
  assert.equal(traces[0]?.[1], traceId);
  assert.notEqual(traces[0]?.[2], "00f067aa0ba902b7", "the server's own span");
  for (const trace of traces.slice(1)) {
    assert.match(trace?.[1] ?? "", /^[0-9a-f]{32}$/);
    assert.notEqual(trace?.[1], traceId);
  }
  assert.notEqual(traces[1]?.[1], traces[2]?.[1]);
});

Deno.test("connectionCeiling() keeps a reserve of at least 64 descriptors, or a tenth", () => {
  assert.equal(connectionCeiling(144), 80);
  assert.equal(connectionCeiling(20_000), 18_000);
  assert.equal(connectionCeiling(50), 16);
});
