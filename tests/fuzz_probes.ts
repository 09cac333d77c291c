/**
 * The fuzzer's bounded floods, each a probe with its own oracle: a frame far over the limit
 * before `auth` (the limit must apply while reading), `read` frames in a burst (a `ping` behind
 * them must be answered soon), `typing` frames in a burst (dropped silently: the typist stays
 * connected, the peer hears of it once), and pushes a socket never acks (the connection must be
 * closed past a bound). Each returns a finding, or null when the server held.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A socket signed in as `token`; rejects unless the server says `ready`. */
async function signedIn(wsUrl: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`cannot open ${wsUrl}`));
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no ready in 5 s")), 5000);
    ws.onmessage = (e) => {
      if (JSON.parse(e.data).op !== "ready") return;
      clearTimeout(timer);
      resolve();
    };
    ws.onclose = () => (clearTimeout(timer), reject(new Error("closed before ready")));
  });
  ws.send(JSON.stringify({ op: "auth", token }));
  await ready;
  return ws;
}

/** Waits until `ws` closes, for at most `ms`; the close code, or null if still open. */
function closed(ws: WebSocket, ms: number): Promise<number | null> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    ws.addEventListener("close", (e) => (clearTimeout(timer), resolve(e.code)));
  });
}

/**
 * Before `auth`, a frame whose header declares `declared` bytes followed by `sent` of them: a
 * server that enforces its frame limit while reading closes at once; one that reads whole frames
 * waits for the rest (and would hold all of it).
 */
export async function oversizedFrame(
  wsUrl: string,
  { declared = 60_000_000, sent = 256 * 1024, waitMs = 3000 } = {},
): Promise<string | null> {
  const url = new URL(wsUrl);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  try {
    const head = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `Host: ${url.host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
      "",
      "",
    ].join("\r\n");
    await conn.write(new TextEncoder().encode(head));
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    const answer = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    if (!answer.startsWith("HTTP/1.1 101")) return null;
    const header = new Uint8Array(14);
    header.set([0x81, 0x80 | 127]);
    new DataView(header.buffer).setBigUint64(2, BigInt(declared));
    header.set([1, 2, 3, 4], 10);
    const writing = (async () => {
      await conn.write(header);
      for (let done = 0; done < sent; done += 64 * 1024) {
        await conn.write(new Uint8Array(64 * 1024));
      }
    })().catch(() => {});
    // The server's answer: the end of the connection, or a close frame (opcode 8) and its code.
    const ended = (async () => {
      while (true) {
        const got = await conn.read(buffer);
        if (got === null) return "the end of the connection";
        if ((buffer[0] & 0x0f) === 8) return got >= 4 ? (buffer[2] << 8) | buffer[3] : 1005;
      }
    })().catch(() => "the end of the connection");
    const close = await Promise.race([ended, sleep(waitMs).then(() => null)]);
    await Promise.race([writing, sleep(100)]);
    // Closed for the frame (1009) or cut off: held. Closed for something else (4408: no auth in
    // time), or still open: the frame was being read.
    if (close === 1009 || close === "the end of the connection") return null;
    return `a WebSocket frame declaring ${declared} bytes, sent before auth, was read on past the frame limit: ${
      sent / 1024
    } KiB taken and ${
      close === null
        ? `the connection still open after ${waitMs / 1000} s`
        : `then closed with ${close}, not for the frame`
    }`;
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server.
    }
  }
}

/**
 * `frames` read frames in a burst, then a ping: it must be answered within `waitMs` (or the
 * connection closed for the flood: 4429, or a reset after a `rate_limited` error).
 */
export async function readFlood(
  wsUrl: string,
  token: string,
  conversationId: string,
  { frames = 5000, waitMs = 3000 } = {},
): Promise<string | null> {
  const ws = await signedIn(wsUrl, token);
  try {
    let limited = false;
    const pong = new Promise<void>((resolve) => {
      ws.onmessage = (e) => {
        const frame = JSON.parse(e.data);
        if (frame.op === "error" && frame.code === "rate_limited") limited = true;
        if (frame.op === "pong") resolve();
      };
    });
    for (let i = 1; i <= frames; i++) {
      ws.send(JSON.stringify({ op: "read", conversationId, seq: i }));
    }
    const started = performance.now();
    ws.send(JSON.stringify({ op: "ping" }));
    const code = closed(ws, waitMs);
    const answer = await Promise.race([pong.then(() => "pong"), code]);
    if (answer === "pong" || answer === 4429) return null;
    // Closed for the flood: the kernel's reset for the unread frames often overtakes the
    // 4429 close frame, so the client sees 1006 or 0 after the `rate_limited` error.
    if (answer !== null && limited) return null;
    const late = await Promise.race([pong.then(() => performance.now() - started), sleep(20_000)]);
    return `a ping behind ${frames} read frames was ${
      typeof late === "number"
        ? `answered after ${(late / 1000).toFixed(1)} s`
        : "not answered in 20 s"
    } (close code ${answer ?? "none"})`;
  } finally {
    ws.close();
  }
}

/**
 * `frames` typing frames in a burst from `typist` to a conversation with `peer`, then a ping: the
 * ping must be answered within `waitMs` on a connection that stays open, with no error frame
 * (more than one per 2 s is dropped silently), and the peer must hear of it at most twice.
 */
export async function typingFlood(
  typist: { wsUrl: string; token: string },
  peer: { wsUrl: string; token: string },
  conversationId: string,
  { frames = 1000, waitMs = 3000 } = {},
): Promise<string | null> {
  const listener = await signedIn(peer.wsUrl, peer.token);
  const ws = await signedIn(typist.wsUrl, typist.token);
  try {
    let heard = 0;
    listener.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.op === "typing" && frame.conversationId === conversationId) heard++;
    };
    const errors: string[] = [];
    const pong = new Promise<void>((resolve) => {
      ws.onmessage = (e) => {
        const frame = JSON.parse(e.data);
        if (frame.op === "error") errors.push(`${frame.code}: ${frame.message}`);
        if (frame.op === "pong") resolve();
      };
    });
    for (let i = 0; i < frames; i++) ws.send(JSON.stringify({ op: "typing", conversationId }));
    const started = performance.now();
    ws.send(JSON.stringify({ op: "ping" }));
    const answer = await Promise.race([pong.then(() => "pong"), closed(ws, waitMs)]);
    if (answer !== "pong") {
      return `a ping behind ${frames} typing frames was ${
        answer === null ? `not answered in ${waitMs / 1000} s` : `cut off: closed with ${answer}`
      }`;
    }
    // The peer's socket: whatever was relayed has arrived by a round trip of its own.
    const listenerPong = new Promise<void>((resolve) => {
      const previous = listener.onmessage!;
      listener.onmessage = (e) => {
        previous.call(listener, e);
        if (JSON.parse(e.data).op === "pong") resolve();
      };
    });
    listener.send(JSON.stringify({ op: "ping" }));
    await Promise.race([listenerPong, sleep(waitMs)]);
    const problems = [
      errors.length ? `${errors.length} error frame(s), e.g. ${errors[0]}` : "",
      heard > 2 ? `the peer heard ${heard} typing events` : "",
    ].filter(Boolean);
    return problems.length
      ? `${frames} typing frames in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s were not dropped silently: ${problems.join("; ")}`
      : null;
  } finally {
    ws.close();
    listener.close();
  }
}

/**
 * `pushes` messages from `sender` to `receiverId`, whose socket reads them but never acks:
 * past `bound` pushes pending ack, the server must close that socket.
 */
export async function unackedPushes(
  sender: { wsUrl: string; token: string },
  receiver: { wsUrl: string; token: string; id: string },
  { pushes = 5500, bound = 5000, waitMs = 20_000, run = 0 } = {},
): Promise<string | null> {
  const inbox = await signedIn(receiver.wsUrl, receiver.token);
  const outbox = await signedIn(sender.wsUrl, sender.token);
  try {
    const seen = new Set<string>();
    let answered = 0;
    inbox.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.op === "message") seen.add(frame.message.id);
    };
    const allAnswered = new Promise<void>((resolve) => {
      outbox.onmessage = (e) => {
        const op = JSON.parse(e.data).op;
        if ((op === "sent" || op === "error") && ++answered === pushes) resolve();
      };
    });
    for (let i = 0; i < pushes; i++) {
      outbox.send(JSON.stringify({
        op: "send",
        clientMsgId: `unacked-${run}-${i}`,
        to: { type: "user", id: receiver.id },
        content: { type: "text", text: `unacked ${i}` },
      }));
    }
    await Promise.race([allAnswered, sleep(waitMs)]);
    const received = seen.size;
    const code = await closed(inbox, received > bound ? 2000 : waitMs);
    if (code !== null || received <= bound) return null;
    return `a socket that never acks holds ${received} pushes pending ack (${answered} of ${pushes} sends answered) and stays open`;
  } finally {
    inbox.close();
    outbox.close();
  }
}
