import assert from "node:assert/strict";
import { FakeSocket } from "./_fake_socket.ts";
import { Connection } from "./connection.ts";

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
