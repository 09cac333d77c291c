import assert from "node:assert/strict";
import type { Message } from "../shared/types.ts";
import { message, setup } from "./_fakes.ts";

Deno.test("ImClient.uploadFile() posts the bytes as kind=file with the name percent-encoded", async () => {
  const { client, server } = setup();
  const info = {
    id: "m1",
    url: "/media/m1",
    contentType: "application/pdf",
    size: 3,
    width: null,
    height: null,
    name: "报告 #1.pdf",
  };
  server.route("POST", "/api/media", () => Response.json(info, { status: 201 }));
  assert.deepEqual(await client.uploadFile(new Uint8Array([1, 2, 3]), "报告 #1.pdf"), info);
  const [call] = server.calls;
  assert.equal(call.method, "POST");
  assert.equal(call.path, "/api/media?kind=file");
  assert.equal(call.headers.get("x-file-name"), "%E6%8A%A5%E5%91%8A%20%231.pdf");
  assert.equal(call.headers.get("content-type"), "application/octet-stream");
  assert.equal(call.headers.get("authorization"), "Bearer token-1");
  assert.deepEqual(call.body, new Uint8Array([1, 2, 3]));
});

Deno.test("ImClient.editMessage() patches the text content and answers the message", async () => {
  const { client, server } = setup();
  const edited: Message = {
    ...message(4),
    id: "m/4",
    content: { type: "text", text: "fixed" },
    editedAt: 1_700_000_000_100,
  };
  server.route("PATCH", "/api/messages/m%2F4", () => ({ message: edited }));
  assert.deepEqual(await client.editMessage("m/4", "fixed"), edited);
  assert.equal(server.calls[0].method, "PATCH");
  assert.deepEqual(server.calls[0].body, { content: { type: "text", text: "fixed" } });
});

Deno.test("ImClient.recallMessage() deletes the message, and rejects with the server's code", async () => {
  const { client, server } = setup();
  server.route("DELETE", "/api/messages/77", () => undefined);
  assert.equal(await client.recallMessage("77"), undefined);
  assert.equal(server.calls[0].method, "DELETE");
  server.route(
    "DELETE",
    "/api/messages/78",
    () =>
      Response.json({ error: { code: "conflict", message: "Already recalled" } }, { status: 409 }),
  );
  await assert.rejects(client.recallMessage("78"), {
    name: "ImError",
    code: "conflict",
    status: 409,
  });
});

Deno.test("ImClient.reads() answers the conversation's read marks", async () => {
  const { client, server } = setup();
  const reads = [{ userId: "1", seq: 4 }, { userId: "2", seq: 7 }];
  server.route("GET", "/api/conversations/u%3A1%3A2/reads", () => ({ reads }));
  assert.deepEqual(await client.reads("u:1:2"), reads);
  assert.equal(server.calls[0].path, "/api/conversations/u%3A1%3A2/reads");
});
