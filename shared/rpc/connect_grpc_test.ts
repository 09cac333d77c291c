import assert from "node:assert/strict";
import type { ConnectService, PushItem } from "./connect.ts";
import { GrpcConnectClient, serveConnect } from "./connect_grpc.ts";

Deno.test("Push items cross gRPC whole: users, groups, acks, memberships and a group's `except`", async () => {
  const received: PushItem[] = [];
  const service: ConnectService = {
    push: (items) => {
      received.push(...items);
      return Promise.resolve();
    },
    kick: () => Promise.resolve(),
  };
  const server = await serveConnect(service, { host: "127.0.0.1", port: 0 });
  const client = new GrpcConnectClient({ address: `127.0.0.1:${server.port}`, timeoutMs: 5000 });
  try {
    const items: PushItem[] = [
      { userIds: ["1", "2"], frame: "a", ack: { conversationId: "u:1:2", seq: 3 } },
      {
        userIds: [],
        frame: "b",
        membership: { groupId: "7", added: ["4"], removed: [] },
      },
      { groupId: "7", frame: "c", ack: { conversationId: "g:7", seq: 9 } },
      { groupId: "7", frame: "d", except: "4" },
    ];
    await client.push(items);
    assert.deepEqual(received, [
      {
        userIds: ["1", "2"],
        frame: "a",
        ack: { conversationId: "u:1:2", seq: 3 },
        membership: undefined,
      },
      {
        userIds: [],
        frame: "b",
        ack: undefined,
        membership: { groupId: "7", added: ["4"], removed: [] },
      },
      { groupId: "7", frame: "c", ack: { conversationId: "g:7", seq: 9 } },
      { groupId: "7", frame: "d", ack: undefined, except: "4" },
    ]);
  } finally {
    client.close();
    await server.close();
  }
});
