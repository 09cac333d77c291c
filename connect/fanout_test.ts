import assert from "node:assert/strict";
import { FakeSocket } from "./_fake_socket.ts";
import { Connection } from "./connection.ts";
import { Fanout } from "./fanout.ts";

const REDELIVER_MS = 40;

function setup() {
  let now = 0;
  const fanout = new Fanout({
    hash: (userId) => Number(userId),
    buckets: 4,
    bucketRate: 1000,
    bucketBurst: 1000,
    redeliverMs: REDELIVER_MS,
    now: () => now,
  });
  let id = 0;
  return {
    fanout,
    setNow: (ms: number) => now = ms,
    /** An authenticated connection of `userId`, in the nodes of `groupIds`. */
    connect(userId: string, groupIds: string[] = [], tokenHash = `hash-${userId}`): FakeSocket {
      const socket = new FakeSocket();
      const connection = new Connection(`c${++id}`, socket.socket, 0, 1 << 20);
      connection.authenticate(userId, tokenHash);
      fanout.add(connection, groupIds);
      return socket;
    },
  };
}

const frame = (text: string) => JSON.stringify({ op: "message", text });

Deno.test("Fanout.service.push() reaches every connection of each user named", async () => {
  const { fanout, connect } = setup();
  try {
    const [a1, a2, b, c] = [connect("1"), connect("1"), connect("2"), connect("3")];
    await fanout.service.push([{ userIds: ["1", "2", "9"], frame: frame("hi") }]);
    for (const socket of [a1, a2, b]) {
      assert.deepEqual(await socket.next(), { op: "message", text: "hi" });
    }
    assert.equal(c.unread, 0);
  } finally {
    fanout.close();
  }
});

Deno.test("Fanout.service.push() to a group reaches its local members, as membership changes", async () => {
  const { fanout, connect } = setup();
  try {
    const [a, b, c] = [connect("1", ["g"]), connect("2", ["g"]), connect("3")];
    await fanout.service.push([
      {
        userIds: [],
        frame: frame("joined"),
        membership: { groupId: "g", added: ["3"], removed: ["1"] },
      },
      { groupId: "g", frame: frame("to g") },
    ]);
    assert.equal(a.unread, 0, "removed from g");
    assert.equal((await b.next()).text, "to g");
    assert.equal((await c.next()).text, "to g");
  } finally {
    fanout.close();
  }
});

Deno.test("Fanout.service.push() to a group leaves out every connection of its `except` user", async () => {
  const { fanout, connect } = setup();
  try {
    // Users 1 and 5 share a bucket (4 buckets, hashed by number): the skip is per user, not per bucket.
    const [a1, a2, b, e] = [
      connect("1", ["g"]),
      connect("1", ["g"]),
      connect("2", ["g"]),
      connect("5", ["g"]),
    ];
    await fanout.service.push([{ groupId: "g", frame: frame("typing"), except: "1" }]);
    assert.equal((await b.next()).text, "typing");
    assert.equal((await e.next()).text, "typing");
    assert.equal(a1.unread + a2.unread, 0, "the typist hears nothing");
    await fanout.service.push([{ groupId: "g", frame: frame("all") }]);
    for (const socket of [a1, a2, b, e]) assert.equal((await socket.next()).text, "all");
  } finally {
    fanout.close();
  }
});

Deno.test("Fanout redelivers an unacked push once due, and holds one push only once", async () => {
  const { fanout, connect, setNow } = setup();
  try {
    const socket = connect("1");
    const ack = { conversationId: "u:1:2", seq: 5 };
    await fanout.service.push([{ userIds: ["1"], frame: frame("m5"), ack }]);
    await fanout.service.push([{ userIds: ["1"], frame: frame("m5"), ack }]);
    assert.equal((await socket.next()).text, "m5");
    assert.equal(socket.unread, 0, "the duplicate is not written");
    setNow(REDELIVER_MS);
    assert.equal((await socket.next()).text, "m5", "resent once due");
  } finally {
    fanout.close();
  }
});

Deno.test("Fanout.service.kick() closes with 4401 the connections of those tokens only", async () => {
  const { fanout, connect } = setup();
  try {
    const [a1, a2, b] = [connect("1", [], "t1"), connect("1", [], "t2"), connect("2", [], "t3")];
    await fanout.service.kick(["t1", "t3"]);
    assert.deepEqual(a1.closedWith, { code: 4401, reason: "logged out" });
    assert.deepEqual(b.closedWith, { code: 4401, reason: "logged out" });
    assert.equal(a2.closedWith, null);
  } finally {
    fanout.close();
  }
});

Deno.test("Fanout.remove() forgets a connection for pushes, group nodes and kicks", async () => {
  const { fanout } = setup();
  try {
    const socket = new FakeSocket();
    const connection = new Connection("c1", socket.socket, 0, 1 << 20);
    connection.authenticate("1", "t1");
    fanout.add(connection, ["g"]);
    assert.equal(fanout.connectionsOf("1").size, 1);
    fanout.remove(connection);
    assert.equal(fanout.connectionsOf("1").size, 0);
    await fanout.service.push([{ userIds: ["1"], frame: frame("a") }, {
      groupId: "g",
      frame: frame("b"),
    }]);
    await fanout.service.kick(["t1"]);
    assert.equal(socket.unread, 0);
    assert.equal(socket.closedWith, null);
  } finally {
    fanout.close();
  }
});
