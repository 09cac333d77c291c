import assert from "node:assert/strict";
import { frontDoor } from "./front_door.ts";
import { AddressLimit } from "./limits.ts";

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "10.0.0.1", port: 40000 },
  completed: Promise.resolve(),
} as unknown as Deno.ServeHandlerInfo;

function upgrade(headers: Record<string, string> = {}): Request {
  return new Request("http://chat.example/ws", {
    headers: { upgrade: "websocket", host: "chat.example", ...headers },
  });
}

function door(
  { closing = false, max = 10 }: { closing?: boolean; max?: number } = {},
) {
  const addresses = new AddressLimit(max);
  const accepted: WebSocket[] = [];
  const handle = frontDoor({
    addresses,
    allowedOrigins: [],
    closing: () => closing,
    accept: (socket) => accepted.push(socket),
    onError: (error) => {
      throw error;
    },
  });
  return { handle, addresses, accepted };
}

async function refusal(response: Response): Promise<[number, string]> {
  return [response.status, (await response.json()).error.code];
}

Deno.test("frontDoor() answers a request that is no WebSocket upgrade with 400", async () => {
  const { handle, accepted } = door();
  const response = handle(new Request("http://chat.example/ws"), INFO);
  assert.deepEqual(await refusal(response), [400, "invalid_argument"]);
  assert.equal(accepted.length, 0);
});

Deno.test("frontDoor() answers 503 while the server shuts down", async () => {
  const { handle } = door({ closing: true });
  const response = handle(upgrade(), INFO);
  assert.equal(response.status, 503);
  assert.equal(await response.text(), "shutting down");
});

Deno.test("frontDoor() refuses an address at its cap with 429 and Retry-After 10", async () => {
  const { handle, addresses } = door({ max: 1 });
  addresses.take("10.0.0.1");
  const response = handle(upgrade(), INFO);
  assert.equal(response.headers.get("retry-after"), "10");
  assert.deepEqual(await refusal(response), [429, "rate_limited"]);
});

Deno.test("frontDoor() refuses a page of another origin with 403", async () => {
  const { handle } = door();
  const response = handle(upgrade({ origin: "https://evil.example" }), INFO);
  assert.deepEqual(await refusal(response), [403, "forbidden"]);
});

Deno.test("frontDoor() upgrades, hands the socket over, and counts it against its address until it closes", async () => {
  const { handle, addresses, accepted } = door();
  const serverClosed = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (r, info) => {
    const response = handle(r, info);
    accepted.at(-1)?.addEventListener("close", () => serverClosed.resolve());
    return response;
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`);
  const clientClosed = new Promise((resolve) => client.onclose = resolve);
  await new Promise((resolve) => client.onopen = resolve);
  assert.equal(accepted.length, 1);
  assert.equal(addresses.count("127.0.0.1"), 1);
  client.close();
  await Promise.all([serverClosed.promise, clientClosed]);
  assert.equal(addresses.count("127.0.0.1"), 0);
  await server.shutdown();
});
