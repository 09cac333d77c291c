import assert from "node:assert/strict";
import { assertEquals } from "../../tests/assert.ts";
import { rpcCalls } from "../metrics.ts";
import type { ConnectService, PushItem } from "./connect.ts";
import { GrpcConnectClient, serveConnect } from "./connect_grpc.ts";

Deno.test("Push items cross gRPC whole: users, groups, acks, memberships, a group's `except`, traceparents", async () => {
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
      {
        groupId: "7",
        frame: "c",
        ack: { conversationId: "g:7", seq: 9 },
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
      { groupId: "7", frame: "d", except: "4" },
      {
        userIds: ["2"],
        frame: "e",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      },
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
      {
        groupId: "7",
        frame: "c",
        ack: { conversationId: "g:7", seq: 9 },
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
      { groupId: "7", frame: "d", ack: undefined, except: "4" },
      {
        userIds: ["2"],
        frame: "e",
        ack: undefined,
        membership: undefined,
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      },
    ]);
    const pushes = (await rpcCalls.get()).values.find((v) =>
      v.labels.service === "connect" && v.labels.method === "push" && v.labels.outcome === "ok"
    );
    assertEquals(pushes?.value, 1, "counted in im_rpc_calls_total");
  } finally {
    client.close();
    await server.close();
  }
});
