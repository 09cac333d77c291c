/** The routes of blocking (PROTOCOL.md, Version 2, Blocking), from HTTP to logic and back. */
import { assertEquals } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import type { User } from "../shared/types.ts";
import { createApi } from "./mod.ts";

const me: User = { id: "7", username: "me", nickname: "me", avatar: null };
const other: User = { id: "8", username: "other", nickname: "other", avatar: null };
const ORIGIN = "https://app.im.test";

/** An api on a logic that records its calls and answers as the real one would. */
function api() {
  const calls: unknown[][] = [];
  const logic = {
    authenticate: (token: string) =>
      token === "t" ? Promise.resolve(me) : Promise.reject(new AppError("unauthenticated", "no")),
    block: (...args: unknown[]) => {
      calls.push(["block", ...args]);
      return args[1] === "7"
        ? Promise.reject(new AppError("invalid_argument", "Invalid userId: cannot block yourself"))
        : Promise.resolve();
    },
    unblock: (...args: unknown[]) => (calls.push(["unblock", ...args]), Promise.resolve()),
    blocks: (...args: unknown[]) => (calls.push(["blocks", ...args]), Promise.resolve([other])),
  } as unknown as LogicService;
  const { handle } = createApi({ logic, connectUrl: () => "/ws", corsOrigins: [ORIGIN] });
  const call = async (method: string, path: string) => {
    const response = await handle(
      new Request(`http://im.test${path}`, { method, headers: { authorization: "Bearer t" } }),
    );
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : JSON.parse(text) };
  };
  return { calls, call, handle };
}

Deno.test("PUT /api/blocks/:id blocks and answers 204; yourself is 400", async () => {
  const { calls, call } = api();
  assertEquals(await call("PUT", "/api/blocks/8"), { status: 204, body: null });
  const self = await call("PUT", "/api/blocks/7");
  assertEquals([self.status, self.body.error.code], [400, "invalid_argument"]);
  assertEquals(calls, [["block", "7", "8"], ["block", "7", "7"]]);
});

Deno.test("DELETE /api/blocks/:id unblocks and answers 204", async () => {
  const { calls, call } = api();
  assertEquals(await call("DELETE", "/api/blocks/8"), { status: 204, body: null });
  assertEquals(calls, [["unblock", "7", "8"]]);
});

Deno.test("GET /api/blocks answers {users}", async () => {
  const { calls, call } = api();
  assertEquals(await call("GET", "/api/blocks"), { status: 200, body: { users: [other] } });
  assertEquals(calls, [["blocks", "7"]]);
});

Deno.test("a browser on an allowed origin may PUT (CORS preflight)", async () => {
  const { handle } = api();
  const response = await handle(
    new Request("http://im.test/api/blocks/8", {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "PUT" },
    }),
  );
  assertEquals(response.status, 204);
  const methods = response.headers.get("access-control-allow-methods")?.split(", ");
  assertEquals(methods?.includes("PUT"), true);
});
