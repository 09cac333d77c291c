/**
 * The baseline: a bare Deno WebSocket relay that speaks just enough of the
 * client protocol for the SDK (connect, auth, send → sent + message pushes,
 * ping) and forwards frames with no storage, no checks and no ids worth the
 * name. What it achieves is the ceiling this machine and runtime allow.
 *   deno run --allow-net bench/relay.ts   (prints `relay: listening on http://127.0.0.1:<port>`)
 * The token a client authenticates with is its user id; POST /relay/groups
 * {"id","members"} declares a group.
 */

const sockets = new Map<string, Set<WebSocket>>();
const groups = new Map<string, string[]>();
/** The next seq of each conversation: a counter, all the relay keeps. */
const seqs = new Map<string, number>();
let nextId = 1n;

function deliver(userIds: Iterable<string>, frame: string): void {
  for (const userId of userIds) for (const socket of sockets.get(userId) ?? []) socket.send(frame);
}

function session(socket: WebSocket): void {
  let userId = "";
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data as string);
    switch (frame.op) {
      case "auth": {
        userId = frame.token;
        let set = sockets.get(userId);
        if (!set) sockets.set(userId, set = new Set());
        set.add(socket);
        socket.send(
          JSON.stringify({
            op: "ready",
            user: { id: userId, username: userId, nickname: userId, avatar: null },
            serverId: "relay",
          }),
        );
        return;
      }
      case "send": {
        const id = String(nextId++);
        const { to, clientMsgId, content } = frame;
        const conversationId = to.type === "group"
          ? `g:${to.id}`
          : `u:${[userId, to.id].sort().join(":")}`;
        socket.send(JSON.stringify({ op: "sent", clientMsgId, id, conversationId }));
        const seq = (seqs.get(conversationId) ?? 0) + 1;
        seqs.set(conversationId, seq);
        const message = {
          id,
          conversationId,
          seq,
          from: userId,
          to,
          content,
          sentAt: Date.now(),
          clientMsgId,
        };
        const recipients = to.type === "group" ? groups.get(to.id) ?? [] : [to.id, userId];
        deliver(new Set(recipients), JSON.stringify({ op: "message", message }));
        return;
      }
      case "ping":
        socket.send(JSON.stringify({ op: "pong" }));
        return;
    }
  };
  socket.onclose = () => sockets.get(userId)?.delete(socket);
}

const server = Deno.serve({
  // All of 127.0.0.0/8, so clients can spread over several destination addresses.
  hostname: "0.0.0.0",
  port: Number(Deno.env.get("RELAY_PORT") ?? "0"),
  onListen: ({ port }) => console.log(`relay: listening on http://127.0.0.1:${port}`),
}, async (request) => {
  const path = new URL(request.url).pathname;
  if (path === "/ws") {
    const { socket, response } = Deno.upgradeWebSocket(request);
    session(socket);
    return response;
  }
  if (path === "/api/connect") return Response.json({ url: "/ws" });
  if (path === "/api/conversations") return Response.json({ conversations: [] });
  if (path.startsWith("/api/conversations/")) return Response.json({ messages: [] });
  if (path === "/healthz") return Response.json({ status: "ok" });
  if (path === "/relay/groups" && request.method === "POST") {
    const { id, members } = await request.json();
    groups.set(id, members);
    return Response.json({ ok: true });
  }
  return Response.json({ error: { code: "not_found", message: path } }, { status: 404 });
});

Deno.addSignalListener("SIGTERM", () => server.shutdown().then(() => Deno.exit(0)));
