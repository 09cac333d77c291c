/**
 * A data folder holding many messages, for the figures that depend on what is stored: filled
 * through the server's own WebSocket API (friend pairs, many sends in flight, each answered
 * `sent` once stored), and measured by walking the folder's files. How many messages a folder
 * holds is kept beside it, in `<folder>.bench.json`, so a folder filled once can be reused.
 */
import { friendPairs, TEXT_64 } from "./scenarios.ts";
import type { Target } from "./targets.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bytes of every file under `path` (0 if it does not exist). */
export async function folderBytes(path: string): Promise<number> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(path)) {
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory) total += await folderBytes(child);
      else if (entry.isFile) total += (await Deno.stat(child)).size;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return total;
}

const recordOf = (dataDir: string) => `${dataDir.replace(/\/+$/, "")}.bench.json`;

/** The messages the bench stored in `dataDir` so far, by its record (0 without one). */
export async function storedMessages(dataDir: string): Promise<number> {
  try {
    return (JSON.parse(await Deno.readTextFile(recordOf(dataDir))) as { messages: number })
      .messages;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

/** Records that `dataDir` holds `messages` messages the bench stored. */
export async function recordStored(dataDir: string, messages: number): Promise<void> {
  await Deno.writeTextFile(recordOf(dataDir), JSON.stringify({ messages }) + "\n");
}

/**
 * Sends `messages` 64-byte texts between `pairs` friend pairs, `window` in flight per sender,
 * as fast as the server answers them; resolves with the messages per second.
 */
export async function prefill(
  target: Target,
  { messages, pairs = 50, window = 8, progress }: {
    messages: number;
    pairs?: number;
    window?: number;
    progress: (line: string) => void;
  },
): Promise<number> {
  const { clients, senders } = await friendPairs(target, pairs);
  const text = { type: "text" as const, text: TEXT_64 };
  let claimed = 0;
  let stored = 0;
  const started = performance.now();
  const show = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = stored / Math.max(seconds, 0.001);
    const left = rate > 0 ? Math.round((messages - stored) / rate) : NaN;
    progress(
      `prefill: ${stored.toLocaleString("en")} / ${messages.toLocaleString("en")} stored, ` +
        `${rate.toFixed(0)}/s, ${Number.isNaN(left) ? "…" : `${left} s`} left`,
    );
  };
  const ticker = setInterval(show, 1000);
  const loops = senders.flatMap((s) =>
    Array.from({ length: window }, async () => {
      while (claimed < messages) {
        claimed++;
        try {
          await s.client.send(s.to, text);
          stored++;
        } catch {
          claimed--;
          await sleep(50);
        }
      }
    })
  );
  await Promise.all(loops);
  clearInterval(ticker);
  show();
  await Promise.all(clients.map((c) => c.close()));
  return stored / ((performance.now() - started) / 1000);
}

/** A data folder for the bench: how many messages it holds, its size, and what filling cost. */
export interface FilledFolder {
  dataDir: string;
  /** The messages the bench stored in it, in this run and earlier ones. */
  messages: number;
  bytes: number;
  /** Growth of the folder per message stored in this run (bytes), if any were. */
  bytesPerMessage?: number;
  /** Removes the folder if the bench made it. */
  done(): Promise<void>;
}

/**
 * Adds `messages` to `dataDir` (a fresh folder if none is given) through an embedded server that
 * is stopped gracefully after, and measures the folder's growth per message.
 */
export async function fillFolder(
  { dataDir, messages, open, progress }: {
    dataDir?: string;
    messages: number;
    /** Starts an embedded server on a folder. */
    open: (dataDir: string) => Promise<Target>;
    progress: (line: string) => void;
  },
): Promise<FilledFolder> {
  const dir = dataDir ?? await Deno.makeTempDir({ prefix: "im-filled-" });
  const had = await storedMessages(dir);
  // A server that started once and stopped: the folder as it is before any message.
  if (await folderBytes(dir) === 0) await (await open(dir)).stop();
  const before = await folderBytes(dir);
  if (messages > 0) {
    const target = await open(dir);
    try {
      await prefill(target, { messages, progress });
    } finally {
      await target.stop();
    }
    await recordStored(dir, had + messages);
  }
  const bytes = await folderBytes(dir);
  return {
    dataDir: dir,
    messages: had + messages,
    bytes,
    bytesPerMessage: messages > 0 ? (bytes - before) / messages : undefined,
    async done() {
      if (dataDir) return;
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(recordOf(dir)).catch(() => {});
    },
  };
}
