import assert from "node:assert/strict";
import { FakeSocket } from "./_fake_socket.ts";
import { Connection } from "./connection.ts";
import { metricValue } from "../shared/_metric_value.ts";

Deno.test("Connection.write() closes with 1008 instead of writing past the send buffer", () => {
  const socket = new FakeSocket();
  let onClosed = 0;
  const connection = new Connection("c1", socket.socket, 0, 100, () => onClosed++);
  connection.write('{"op":"pong"}');
  socket.bufferedAmount = 101;
  connection.write('{"op":"pong"}');
  assert.equal(socket.unread, 1);
  assert.deepEqual(socket.closedWith, { code: 1008, reason: "send buffer full" });
  connection.close(1001, "again");
  assert.equal(onClosed, 1, "the server forgets a connection once, as soon as it closes it");
  assert.equal(connection.closed, true);
});

Deno.test("Connection.ack() releases the pushes it covers, and close() drops the rest", () => {
  const connection = new Connection("c1", new FakeSocket().socket, 0, 100);
  assert.equal(connection.hold("c", 1, "m1"), true);
  assert.equal(connection.hold("c", 1, "m1"), false);
  connection.hold("c", 2, "m2");
  connection.hold("c", 3, "m3");
  connection.ack("c", 2);
  assert.equal(connection.pendingCount, 1);
  assert.equal(connection.pendingFrame("c", 3), "m3");
  connection.close(1001, "bye");
  assert.equal(connection.pendingFrame("c", 3), undefined);
  assert.equal(connection.pendingCount, 0);
});

Deno.test("Connection.hold() closes with 1008 past maxPending unacked pushes, and acks make room", () => {
  const socket = new FakeSocket();
  let onClosed = 0;
  const connection = new Connection("c1", socket.socket, 0, 100, () => onClosed++, 3);
  assert.equal(connection.hold("a", 1, "a1"), true);
  assert.equal(connection.hold("b", 1, "b1"), true);
  assert.equal(connection.hold("a", 2, "a2"), true);
  assert.equal(connection.hold("a", 2, "a2"), false, "a repeat is no new push");
  assert.equal(socket.closedWith, null, "at the bound");
  connection.ack("a", 2);
  assert.equal(connection.pendingCount, 1);
  assert.equal(connection.hold("a", 3, "a3"), true);
  assert.equal(connection.hold("a", 4, "a4"), true);
  assert.equal(connection.hold("a", 5, "a5"), false);
  assert.deepEqual(socket.closedWith, { code: 1008, reason: "too many unacked pushes" });
  assert.equal(onClosed, 1);
  assert.equal(connection.pendingCount, 0, "what it held is dropped");
  assert.equal(connection.hold("a", 6, "a6"), false);
});

Deno.test("Connection keeps im_pushes_pending_ack exact through holds, acks, repeats and either side's close", async () => {
  const pending = () => metricValue("im_pushes_pending_ack");
  const start = await pending();
  const ours = new Connection("c1", new FakeSocket().socket, 0, 100);
  const theirs = new Connection("c2", new FakeSocket().socket, 0, 100);
  for (const connection of [ours, theirs]) {
    connection.hold("c", 1, "m1");
    connection.hold("c", 1, "m1");
    connection.hold("c", 2, "m2");
    connection.hold("d", 1, "m3");
  }
  assert.equal(await pending() - start, 6, "a repeat is not held twice");
  ours.ack("c", 1);
  ours.ack("c", 1);
  ours.ack("x", 9);
  assert.equal(await pending() - start, 5);
  ours.close(1001, "bye");
  assert.equal(await pending() - start, 3);
  theirs.peerClosed(1000);
  theirs.peerClosed(1000);
  assert.equal(await pending() - start, 0);
  assert.equal(theirs.hold("c", 3, "m4"), false, "a closed connection holds nothing");
  assert.equal(await pending() - start, 0);
});

Deno.test("Connection.closeCode is the server's close code, else the peer's, else 1006", () => {
  const server = new Connection("c1", new FakeSocket().socket, 0, 100);
  server.close(4401, "logged out");
  server.peerClosed(1000);
  assert.equal(server.closeCode, 4401);
  const peer = new Connection("c2", new FakeSocket().socket, 0, 100);
  peer.peerClosed(1000);
  peer.close(1001, "too late");
  assert.equal(peer.closeCode, 1000);
  const gone = new Connection("c3", new FakeSocket().socket, 0, 100);
  assert.equal(gone.closeCode, null);
  gone.peerClosed();
  assert.equal(gone.closeCode, 1006);
});

Deno.test("Connection.close() hands onClosed the connection, so one function serves every connection", () => {
  const closed: Connection[] = [];
  const onClosed = (connection: Connection) => closed.push(connection);
  const a = new Connection("a", new FakeSocket().socket, 0, 100, onClosed);
  const b = new Connection("b", new FakeSocket().socket, 0, 100, onClosed, 10, "10.0.0.1");
  b.close(1001, "bye");
  a.close(1001, "bye");
  assert.deepEqual(closed.map((c) => c.id), ["b", "a"]);
  assert.equal(b.address, "10.0.0.1");
  assert.equal(a.address, "", "not counted against an address");
});
