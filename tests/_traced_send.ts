/**
 * One message sent with a trace of the client's own (a `traceparent` on its `send` frame, as
 * PROTOCOL.md allows), and the structured log lines that carry that trace's id.
 */
import { assertEquals } from "./assert.ts";
import type { ImClient } from "../client/mod.ts";
import { eventually } from "./harness.ts";

/** A random W3C traceparent: a new trace, the client's span. */
export function newTraceparent(): { traceId: string; traceparent: string } {
  const hex = (bytes: number) =>
    [...crypto.getRandomValues(new Uint8Array(bytes))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
  const traceId = hex(16);
  return { traceId, traceparent: `00-${traceId}-${hex(8)}-01` };
}

/**
 * Sends a text from `from` to the user `toId` on a socket of its own (to `url`, else where the
 * api sends it), with a `traceparent` on the frame; resolves with the trace id, the `sent`
 * answer and the connect server the socket reached.
 */
export async function sendTraced(
  from: ImClient,
  toId: string,
  text: string,
  url?: string,
): Promise<{ traceId: string; messageId: string; conversationId: string; serverId: string }> {
  const { traceId, traceparent } = newTraceparent();
  const socket = new WebSocket(url ?? await from.connectUrl());
  const frames: Record<string, unknown>[] = [];
  socket.onmessage = (event) => frames.push(JSON.parse(event.data));
  try {
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    socket.send(JSON.stringify({ op: "auth", token: from.token }));
    const ready = await eventually(() => frames.find((f) => f.op === "ready"));
    socket.send(JSON.stringify({
      op: "send",
      clientMsgId: crypto.randomUUID(),
      to: { type: "user", id: toId },
      content: { type: "text", text },
      traceparent,
    }));
    const answer = await eventually(() => frames.find((f) => f.op === "sent" || f.op === "error"));
    assertEquals(answer.op, "sent", JSON.stringify(answer));
    return {
      traceId,
      messageId: String(answer.id),
      conversationId: String(answer.conversationId),
      serverId: String(ready.serverId),
    };
  } finally {
    socket.close();
  }
}

/** The logger's JSON lines in `output` (other lines left out) whose trace id is `traceId`. */
export function linesOfTrace(output: string, traceId: string): Record<string, unknown>[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      const parsed = JSON.parse(line);
      return parsed.traceId === traceId ? [parsed] : [];
    } catch {
      return [];
    }
  });
}
