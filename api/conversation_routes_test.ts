/** The routes of version 2 conversations: settings and message search, from HTTP to logic and back. */
import { assertEquals } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import type { ConversationSummary, Message, User } from "../shared/types.ts";
import { createApi } from "./mod.ts";

const me: User = { id: "7", username: "me", nickname: "me", avatar: null };
const found: Message = {
  id: "42",
  conversationId: "u:7:8",
  seq: 3,
  from: "8",
  to: { type: "user", id: "7" },
  content: { type: "text", text: "Hello, 世界" },
  sentAt: 1,
  clientMsgId: "c",
};
const summary: ConversationSummary = {
  id: "g:50",
  type: "group",
  lastSeq: 0,
  readSeq: 0,
  unread: 0,
  lastMessage: null,
  mentioned: false,
  pinned: true,
  muted: false,
  hidden: false,
};

/** An api on a logic that records its calls and answers as the real one would. */
function api() {
  const calls: unknown[][] = [];
  const record = (name: string, value: unknown) => (...args: unknown[]) => (
    calls.push([name, ...args]), Promise.resolve(value)
  );
  const logic = {
    authenticate: (token: string) =>
      token === "t" ? Promise.resolve(me) : Promise.reject(new AppError("unauthenticated", "no")),
    searchMessages: (userId: string, query: { q: string | null }) => {
      calls.push(["search", userId, query]);
      return query.q === "x"
        ? Promise.reject(new AppError("invalid_argument", "Invalid q: expected 2 to 100"))
        : Promise.resolve([found]);
    },
    updateConversation: record("update", summary),
    editMessage: record("edit", found),
    recallMessage: record("recall", undefined),
  } as unknown as LogicService;
  const { handle } = createApi({ logic, connectUrl: () => "/ws" });
  const call = async (method: string, path: string, body?: unknown, token = "t") => {
    const response = await handle(
      new Request(`http://im.test${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : JSON.parse(text) };
  };
  return { calls, call };
}

Deno.test("GET /api/messages/search hands every parameter to logic, decoded, and answers {messages}", async () => {
  const { calls, call } = api();
  const params = new URLSearchParams({
    q: "50% 世界_",
    conversationId: "u:7:8",
    before: "99",
    limit: "5",
  });
  assertEquals(await call("GET", `/api/messages/search?${params}`), {
    status: 200,
    body: { messages: [found] },
  });
  assertEquals(await call("GET", "/api/messages/search?q=he"), {
    status: 200,
    body: { messages: [found] },
  });
  assertEquals(calls, [
    ["search", "7", { q: "50% 世界_", conversationId: "u:7:8", before: "99", limit: "5" }],
    ["search", "7", { q: "he", conversationId: null, before: null, limit: null }],
  ]);
});

Deno.test("GET /api/messages/search is neither an edit nor a recall, and answers logic's errors", async () => {
  const { calls, call } = api();
  const bad = await call("GET", "/api/messages/search?q=x");
  assertEquals([bad.status, bad.body.error.code], [400, "invalid_argument"]);
  assertEquals((await call("GET", "/api/messages/search", undefined, "forged")).status, 401);
  assertEquals(calls.map((c) => c[0]), ["search"], "no edit, no recall, nothing unauthenticated");
});

Deno.test("PATCH /api/conversations/:id hands the body to logic and answers 200 {conversation}", async () => {
  const { calls, call } = api();
  assertEquals(await call("PATCH", "/api/conversations/g%3A50", { pinned: true }), {
    status: 200,
    body: { conversation: summary },
  });
  assertEquals(calls, [["update", "7", "g:50", { pinned: true }]]);
  assertEquals((await call("PATCH", "/api/conversations/g%3A50", {}, "forged")).status, 401);
});
