/** The routes of version 2 messages: edit, recall and read marks, from HTTP to logic and back. */
import { assertEquals } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import type { Message, ReadMark, User } from "../shared/types.ts";
import { createApi } from "./mod.ts";

const me: User = { id: "7", username: "me", nickname: "me", avatar: null };
const edited: Message = {
  id: "42",
  conversationId: "u:7:8",
  seq: 3,
  from: "7",
  to: { type: "user", id: "8" },
  content: { type: "text", text: "new" },
  sentAt: 1,
  clientMsgId: "c",
  editedAt: 2,
};
const marks: ReadMark[] = [{ userId: "8", seq: 3 }];

/** An api on a logic that records its calls and answers as the real one would. */
function api() {
  const calls: unknown[][] = [];
  const logic = {
    authenticate: (token: string) =>
      token === "t" ? Promise.resolve(me) : Promise.reject(new AppError("unauthenticated", "no")),
    editMessage: (...args: unknown[]) => (calls.push(["edit", ...args]), Promise.resolve(edited)),
    recallMessage: (...args: unknown[]) => {
      calls.push(["recall", ...args]);
      return args[1] === "43"
        ? Promise.reject(new AppError("conflict", 'Cannot recall message "43": already recalled'))
        : Promise.resolve();
    },
    reads: (...args: unknown[]) => (calls.push(["reads", ...args]), Promise.resolve(marks)),
  } as unknown as LogicService;
  const { handle } = createApi({ logic, connectUrl: () => "/ws" });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await handle(
      new Request(`http://im.test${path}`, {
        method,
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : JSON.parse(text) };
  };
  return { calls, call };
}

Deno.test("PATCH /api/messages/:id edits and answers 200 {message}", async () => {
  const { calls, call } = api();
  const input = { content: { type: "text", text: "new" } };
  assertEquals(await call("PATCH", "/api/messages/42", input), {
    status: 200,
    body: { message: edited },
  });
  assertEquals(calls, [["edit", "7", "42", input]]);
});

Deno.test("DELETE /api/messages/:id recalls and answers 204; a second recall is 409", async () => {
  const { calls, call } = api();
  assertEquals(await call("DELETE", "/api/messages/42"), { status: 204, body: null });
  const again = await call("DELETE", "/api/messages/43");
  assertEquals([again.status, again.body.error.code], [409, "conflict"]);
  assertEquals(calls, [["recall", "7", "42"], ["recall", "7", "43"]]);
});

Deno.test("GET /api/conversations/:id/reads answers {reads}", async () => {
  const { calls, call } = api();
  assertEquals(await call("GET", "/api/conversations/u%3A7%3A8/reads"), {
    status: 200,
    body: { reads: marks },
  });
  assertEquals(calls, [["reads", "7", "u:7:8"]]);
});
