/**
 * A WebSocket client on a bare TCP connection, for floods: it writes many
 * frames in one go (a browser or Deno's WebSocket queues them one by one) and
 * reads the server's frames as they come, or not at all.
 */

/** A masked client text frame (RFC 6455 §5.2). */
export function textFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const header = payload.length < 126
    ? [0x81, 0x80 | payload.length]
    : [0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff];
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const out = new Uint8Array(header.length + 4 + payload.length);
  out.set(header, 0);
  out.set(mask, header.length);
  payload.forEach((b, i) => out[header.length + 4 + i] = b ^ mask[i % 4]);
  return out;
}

/** The same frame `count` times, as one buffer. */
export function repeated(text: string, count: number): Uint8Array {
  const one = textFrame(text);
  const out = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) out.set(one, i * one.length);
  return out;
}

/** A raw WebSocket session: text frames in, the server's close code out. */
export class RawSocket {
  readonly conn: Deno.TcpConn;
  /** Resolves with the server's close code (or 1006 when the connection just ends). */
  readonly closed: Promise<number>;
  /** Text frames received and not yet taken. */
  readonly #frames: Record<string, unknown>[] = [];
  #waiter: (() => void) | null = null;
  #closeCode: number | null = null;

  /** Whether text frames are kept for `next()`; false reads and drops them (only the close counts). */
  keep = true;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    this.closed = this.#read();
  }

  /** Opens `/ws` of a server. */
  static async open(url: string): Promise<RawSocket> {
    const port = Number(new URL(url).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    return new RawSocket(conn);
  }

  /** Sends `auth` and waits for `ready`. */
  async auth(token: string): Promise<void> {
    await this.write(textFrame(JSON.stringify({ op: "auth", token })));
    const ready = await this.next((frame) => frame.op === "ready");
    if (!ready) throw new Error("no ready");
  }

  /** Writes bytes (frames made by `textFrame` or `repeated`). */
  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
  }

  /** The next frame matching `match`, or null once the socket closed. */
  async next(match: (frame: Record<string, unknown>) => boolean = () => true) {
    while (true) {
      const index = this.#frames.findIndex(match);
      if (index >= 0) return this.#frames.splice(index, 1)[0];
      if (this.#closeCode !== null) return null;
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
  }

  /** Whether a frame matching `match` has come (it stays for `next()`), or the socket closed. */
  answered(match: (frame: Record<string, unknown>) => boolean): boolean {
    return this.#closeCode !== null || this.#frames.some(match);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  async #read(): Promise<number> {
    let buffer: Uint8Array = new Uint8Array(0);
    let headerDone = false;
    const chunk = new Uint8Array(256 * 1024);
    try {
      while (this.#closeCode === null) {
        const n = await this.conn.read(chunk);
        if (n === null) break;
        const joined = new Uint8Array(buffer.length + n);
        joined.set(buffer);
        joined.set(chunk.subarray(0, n), buffer.length);
        buffer = joined;
        if (!headerDone) {
          const end = findHeaderEnd(buffer);
          if (end < 0) continue;
          headerDone = true;
          buffer = buffer.slice(end);
        }
        buffer = this.#parse(buffer);
      }
    } catch {
      // Reset by the server.
    }
    this.#closeCode ??= 1006;
    this.#waiter?.();
    return this.#closeCode;
  }

  /** Takes every whole frame off `buffer`; returns what is left. */
  #parse(buffer: Uint8Array): Uint8Array {
    let at = 0;
    while (buffer.length - at >= 2) {
      const opcode = buffer[at] & 0x0f;
      let length = buffer[at + 1] & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (buffer.length - at < 4) break;
        length = (buffer[at + 2] << 8) | buffer[at + 3];
        start = at + 4;
      } else if (length === 127) {
        if (buffer.length - at < 10) break;
        length = Number(new DataView(buffer.buffer, buffer.byteOffset + at + 2).getBigUint64(0));
        start = at + 10;
      }
      if (buffer.length < start + length) break;
      const payload = buffer.subarray(start, start + length);
      if (opcode === 0x8) {
        this.#closeCode = length >= 2 ? (payload[0] << 8) | payload[1] : 1005;
      } else if (opcode === 0x1 && this.keep) {
        this.#frames.push(JSON.parse(new TextDecoder().decode(payload)));
        this.#waiter?.();
      }
      at = start + length;
    }
    return buffer.slice(at);
  }
}

function findHeaderEnd(buffer: Uint8Array): number {
  for (let i = 3; i < buffer.length; i++) {
    if (buffer[i - 3] === 13 && buffer[i - 2] === 10 && buffer[i - 1] === 13 && buffer[i] === 10) {
      return i + 1;
    }
  }
  return -1;
}

/** A process's CPU time so far (user and system), in milliseconds (Linux). */
export async function cpuMs(pid: number): Promise<number> {
  // Through cat: Deno reads /proc itself only with every permission.
  const { stdout } = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const stat = new TextDecoder().decode(stdout);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, in ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
