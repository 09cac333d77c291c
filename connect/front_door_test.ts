import assert from "node:assert/strict";
import { serveHttp, type UpgradeAnswer } from "../shared/http_server.ts";
import { frontDoor, type Session } from "./front_door.ts";
import { AddressLimit } from "./limits.ts";
import { snapshot } from "../shared/_metric_value.ts";

const ADDRESS = "10.0.0.1";

function upgrade(headers: Record<string, string> = {}): Request {
  return new Request("http://chat.example/ws", {
    headers: { upgrade: "websocket", host: "chat.example", ...headers },
  });
}

/**
 * A front door whose taker of sockets, as the pipeline does, tells it when each socket closed
 * (here: on the socket's close event, unless `listen` is false: then the test tells it).
 */
function door(
  { closing = false, max = 10, unauthenticated = 10, handshakes = 1000, listen = true }: {
    closing?: boolean;
    max?: number;
    unauthenticated?: number;
    handshakes?: number;
    listen?: boolean;
  } = {},
) {
  const addresses = new AddressLimit(max);
  const accepted: WebSocket[] = [];
  const sessions: { authenticated: boolean; closed: boolean }[] = [];
  /** Tells the front door that the i-th socket accepted closed. */
  const closers: (() => void)[] = [];
  const handle = frontDoor({
    addresses,
    maxUnauthenticatedPerAddress: unauthenticated,
    maxHandshakes: handshakes,
    allowedOrigins: [],
    closing: () => closing,
    accept: (socket, address, socketClosed): Session => {
      accepted.push(socket);
      const session = { authenticated: false, closed: false };
      sessions.push(session);
      closers.push(() => socketClosed(address, session));
      if (listen) socket.addEventListener("close", () => socketClosed(address, session));
      return session;
    },
    onError: (error) => {
      throw error;
    },
  });
  return { handle, addresses, accepted, sessions, closers };
}

function refused(answer: UpgradeAnswer): Response {
  if (!("refuse" in answer)) throw new Error("expected a refusal");
  return answer.refuse;
}

async function refusal(answer: UpgradeAnswer): Promise<[number, string]> {
  const response = refused(answer);
  return [response.status, (await response.json()).error.code];
}

/** A socket stand-in that records its close listeners. */
function fakeSocket(): WebSocket & { fireClose(): void; listeners: number } {
  const listeners: (() => void)[] = [];
  return {
    addEventListener: (_: string, listener: () => void) => listeners.push(listener),
    fireClose: () => listeners.forEach((listener) => listener()),
    get listeners() {
      return listeners.length;
    },
  } as unknown as WebSocket & { fireClose(): void; listeners: number };
}

Deno.test("frontDoor() answers a request that is no WebSocket upgrade with 400", async () => {
  const { handle, accepted } = door();
  const answer = handle(new Request("http://chat.example/ws"), ADDRESS);
  assert.deepEqual(await refusal(answer), [400, "invalid_argument"]);
  assert.equal(accepted.length, 0);
});

Deno.test("frontDoor() answers 503 while the server shuts down", async () => {
  const { handle } = door({ closing: true });
  const response = refused(handle(upgrade(), ADDRESS));
  assert.equal(response.status, 503);
  assert.equal(await response.text(), "shutting down");
});

const LIMITS_COUNTED = {
  perAddress: ["im_rate_limited_total", { limit: "connections_per_address" }],
  unauthenticated: ["im_rate_limited_total", { limit: "unauthenticated_per_address" }],
} as const satisfies Record<string, [string, Record<string, string>]>;

Deno.test("frontDoor() refuses an address at its cap with 429 and Retry-After 10, counted as connections_per_address", async () => {
  const { handle, addresses } = door({ max: 1 });
  const metrics = await snapshot(LIMITS_COUNTED);
  addresses.take(ADDRESS);
  const answer = handle(upgrade(), ADDRESS);
  assert.equal(refused(answer).headers.get("retry-after"), "10");
  assert.deepEqual(await refusal(answer), [429, "rate_limited"]);
  assert.deepEqual(await metrics.delta(), { perAddress: 1, unauthenticated: 0 });
});

Deno.test("frontDoor() refuses a page of another origin with 403, no rate limit", async () => {
  const { handle } = door();
  const metrics = await snapshot(LIMITS_COUNTED);
  const answer = handle(upgrade({ origin: "https://evil.example" }), ADDRESS);
  assert.deepEqual(await refusal(answer), [403, "forbidden"]);
  assert.deepEqual(await metrics.delta(), { perAddress: 0, unauthenticated: 0 });
});

Deno.test("frontDoor() refuses an address at its cap of unauthenticated sockets with 429 until one authenticates or closes", async () => {
  const { handle, sessions } = door({ unauthenticated: 2 });
  const metrics = await snapshot(LIMITS_COUNTED);
  const sockets = [fakeSocket(), fakeSocket()];
  for (const socket of sockets) {
    const answer = handle(upgrade(), ADDRESS);
    assert.ok("accept" in answer);
    answer.accept(socket);
  }
  const third = handle(upgrade(), ADDRESS);
  assert.equal(refused(third).headers.get("retry-after"), "10");
  assert.deepEqual(await refusal(third), [429, "rate_limited"]);
  assert.deepEqual(await metrics.delta(), { perAddress: 0, unauthenticated: 1 });
  assert.ok("accept" in handle(upgrade(), "10.0.0.2"), "another address is not concerned");
  sessions[0].authenticated = true;
  const fourth = handle(upgrade(), ADDRESS);
  assert.ok("accept" in fourth);
  fourth.accept(fakeSocket());
  assert.ok("refuse" in handle(upgrade(), ADDRESS));
  sockets[1].fireClose();
  assert.ok("accept" in handle(upgrade(), ADDRESS));
});

Deno.test("frontDoor() refuses every address with 503 once the server holds maxHandshakes unauthenticated sockets, until one authenticates or closes", async () => {
  const { handle, sessions } = door({ handshakes: 3, unauthenticated: 10 });
  const handshakes = await snapshot({
    handshakes: ["im_rate_limited_total", { limit: "handshakes" }],
  });
  const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
  sockets.forEach((socket, i) => {
    const answer = handle(upgrade(), `10.0.0.${i + 1}`);
    assert.ok("accept" in answer);
    answer.accept(socket);
  });
  const refusedAnswer = handle(upgrade(), "10.0.0.9");
  assert.deepEqual(await refusal(refusedAnswer), [503, "unavailable"]);
  assert.deepEqual(await handshakes.delta(), { handshakes: 1 });
  sessions[0].authenticated = true;
  const next = handle(upgrade(), "10.0.0.9");
  assert.ok("accept" in next, "an authenticated socket no longer counts");
  next.accept(fakeSocket());
  assert.ok("refuse" in handle(upgrade(), "10.0.0.10"));
  sockets[1].fireClose();
  assert.ok("accept" in handle(upgrade(), "10.0.0.10"), "a closed socket no longer counts");
});

Deno.test("frontDoor() adds no listener to a socket it hands over: its taker says when it closed", () => {
  const { handle, addresses, sessions, closers } = door({ listen: false, unauthenticated: 1 });
  const socket = fakeSocket();
  const answer = handle(upgrade(), ADDRESS);
  assert.ok("accept" in answer);
  answer.accept(socket);
  assert.equal(socket.listeners, 0, "no close listener of the front door's own");
  assert.equal(addresses.count(ADDRESS), 1);
  assert.ok("refuse" in handle(upgrade(), ADDRESS), "one unauthenticated socket is the cap");
  sessions[0].closed = true;
  closers[0]();
  assert.equal(addresses.count(ADDRESS), 0, "released when the taker says the socket closed");
  assert.ok("accept" in handle(upgrade(), ADDRESS));
});

Deno.test("frontDoor() hands the socket over and counts it against its address until it closes", async () => {
  const { handle, addresses, accepted } = door();
  const upgrades = await snapshot({ accepted: ["im_http_requests_total", { status: "1xx" }] });
  const serverClosed = Promise.withResolvers<void>();
  const server = await serveHttp({
    host: "127.0.0.1",
    port: 0,
    limits: {
      maxConnections: 100,
      httpConnectionsPerAddress: 100,
      headersTimeoutMs: 5000,
      keepAliveTimeoutMs: 5000,
    },
    handler: () => new Response(null, { status: 404 }),
    webSockets: {
      frameBytes: 1024,
      upgrade: (request, address) => {
        const answer = handle(request, address);
        if (!("accept" in answer)) return answer;
        return {
          accept(socket) {
            answer.accept(socket);
            socket.addEventListener("close", () => serverClosed.resolve());
          },
        };
      },
    },
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
  const clientClosed = new Promise((resolve) => client.onclose = resolve);
  await new Promise((resolve) => client.onopen = resolve);
  assert.equal(accepted.length, 1);
  assert.equal(addresses.count("127.0.0.1"), 1);
  assert.deepEqual(await upgrades.delta(), { accepted: 1 }, "counted as 101");
  client.close();
  await Promise.all([serverClosed.promise, clientClosed]);
  assert.equal(addresses.count("127.0.0.1"), 0);
  await server.shutdown();
});
