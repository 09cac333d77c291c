/** End-to-end: a friend request withdrawn by its sender, over the public protocol only. */
import { assertEquals } from "./assert.ts";
import { befriend, errorCode, newUser, startServer, waitFor } from "./harness.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "cancelFriendRequest(): the sender withdraws; the receiver's connection is told and the lists empty",
  opts,
  async () => {
    const sender = await newUser(url);
    const receiver = await newUser(url);
    const note = "We met at the conference. ".repeat(9).trim();
    const arrived = waitFor(receiver, "friend_request");
    const { request } = await sender.requestFriend(receiver.self!.id, note);
    assertEquals((await arrived).note, note, "the whole note, as sent");

    const cancelled = waitFor(receiver, "friend_request_cancelled");
    const answer = await fetch(`${url}/api/friends/requests/${request!.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${sender.token}` },
    });
    assertEquals([answer.status, await answer.text()], [204, ""]);
    assertEquals(await cancelled, { requestId: request!.id });
    assertEquals(await receiver.friendRequests(), { incoming: [], outgoing: [] });
    assertEquals(await sender.friendRequests(), { incoming: [], outgoing: [] });
    assertEquals(
      await errorCode(sender.cancelFriendRequest(request!.id)),
      "not_found",
      "once only",
    );

    // Asking again after a cancel is a new request.
    const again = await sender.requestFriend(receiver.self!.id);
    assertEquals((await receiver.friendRequests()).incoming.map((r) => r.id), [again.request!.id]);
    await Promise.all([sender.close(), receiver.close()]);
  },
);

Deno.test(
  "cancelFriendRequest(): the receiver is forbidden, a stranger and an accepted or unknown request are not_found",
  opts,
  async () => {
    const sender = await newUser(url, { connect: false });
    const receiver = await newUser(url, { connect: false });
    const stranger = await newUser(url, { connect: false });
    const { request } = await sender.requestFriend((await receiver.me()).id, "hello");
    assertEquals(await errorCode(receiver.cancelFriendRequest(request!.id)), "forbidden");
    assertEquals(await errorCode(stranger.cancelFriendRequest(request!.id)), "not_found");
    assertEquals(await errorCode(sender.cancelFriendRequest("123456789")), "not_found");
    assertEquals(await errorCode(sender.cancelFriendRequest("not-an-id")), "not_found");
    assertEquals((await receiver.friendRequests()).incoming.map((r) => r.id), [request!.id]);

    await receiver.acceptFriend(request!.id);
    assertEquals(await errorCode(sender.cancelFriendRequest(request!.id)), "not_found", "accepted");
    assertEquals((await sender.friends()).length, 1, "the friendship stays");

    const other = await newUser(url, { connect: false });
    await befriend(other, stranger);
    assertEquals(await errorCode(other.cancelFriendRequest(request!.id)), "not_found");
  },
);
