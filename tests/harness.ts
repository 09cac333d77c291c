/**
 * Boots the system for end-to-end tests: the embedded mode as a child process
 * on a free port with a fresh data dir, or, with IM_E2E_MODE=cluster, a whole
 * cluster on the infrastructure of `deno task infra:up`.
 */
import { ImClient, ImError } from "../client/mod.ts";
import { assertRejects } from "./assert.ts";
import type { ClientEvents } from "../client/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** A running embedded server. */
export interface Server {
  url: string;
  dataDir: string;
  process: Deno.ChildProcess | null;
  output: string[];
  /** A cluster's database (the admin tool's `--postgres`); absent in the embedded mode. */
  postgresUrl?: string;
  /** Stops the server: SIGTERM (graceful) or SIGKILL. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus | null>;
}

/** Settings the e2e suite runs with: short timeouts so timing behaviour is testable quickly. */
export const TEST_ENV: Record<string, string> = {
  IM_SCRYPT_COST: "1024",
  IM_REDELIVER_MS: "600",
  IM_AUTH_TIMEOUT_MS: "1500",
  IM_SEND_RATE: "1000",
  IM_SEND_BURST: "1000",
  IM_MAX_IMAGE_BYTES: String(64 * 1024),
  // The suites register and sign in hundreds of users from one address.
  IM_RATE_LOGIN_USERNAME: "1000/1",
  IM_RATE_LOGIN_ADDRESS: "100000/1",
  IM_RATE_REGISTER_ADDRESS: "100000/1",
  IM_RATE_UPLOAD: "1000/1",
  IM_RATE_FRIEND_REQUEST: "1000/1",
  IM_RATE_SEARCH: "1000/1",
  // Message search: the suites poll it until a change shows (the log sits in between).
  IM_SEARCH_RATE: "1000",
  IM_SEARCH_BURST: "1000",
  IM_MAX_CONNECTIONS_PER_ADDRESS: "1000000",
  // Some suites send far over the default send rate, and the SDK acks every push.
  IM_ACK_RATE: "100000",
  IM_ACK_BURST: "100000",
  IM_MAX_HTTP_CONNECTIONS_PER_ADDRESS: "1000000",
  IM_MAX_UNAUTHENTICATED_PER_ADDRESS: "1000000",
};

/** The password of every user `newUser()` makes. */
export const PASSWORD = "correct horse battery";

/** Passwords and tokens the suites use; no server may print them. */
const SECRETS = new Set<string>([PASSWORD]);

/** Which deployment the end-to-end suite runs against: `embedded` (default) or `cluster`. */
export function e2eMode(): "embedded" | "cluster" {
  return Deno.env.get("IM_E2E_MODE") === "cluster" ? "cluster" : "embedded";
}

/**
 * Starts the system under test: the embedded mode, or with IM_E2E_MODE=cluster a
 * cluster isolated by its own database, topic and key prefixes. A `dataDir`
 * always means the embedded mode (tests of its own durability).
 */
export async function startServer(
  { dataDir, env = {}, denoFlags = [], openFiles }: {
    dataDir?: string;
    env?: Record<string, string>;
    /** Extra flags of `deno run` for the embedded server, such as `--cpu-prof`. */
    denoFlags?: string[];
    /** The embedded server's open-file limit (`ulimit -n`), lowered so a flood can reach it. */
    openFiles?: number;
  } = {},
): Promise<Server> {
  if (e2eMode() === "cluster" && !dataDir) {
    const { freshDatabase, startIsolatedCluster } = await import("./infra.ts");
    const postgresUrl = env.IM_POSTGRES_URL ?? await freshDatabase();
    const cluster = await startIsolatedCluster({
      ...TEST_ENV,
      ...env,
      IM_POSTGRES_URL: postgresUrl,
    });
    return {
      url: cluster.url,
      dataDir: "",
      postgresUrl,
      process: null,
      output: [],
      async stop() {
        await cluster.stop();
        return null;
      },
    };
  }
  const dir = dataDir ?? await Deno.makeTempDir({ prefix: "im-e2e-" });
  const run = [
    Deno.execPath(),
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-ffi",
    "--allow-sys",
    ...denoFlags,
    "main.ts",
  ];
  const [program, ...args] = openFiles === undefined
    ? run
    : ["sh", "-c", `ulimit -n ${openFiles} && exec "$@"`, "sh", ...run];
  const command = new Deno.Command(program, {
    args,
    cwd: ROOT,
    env: { ...TEST_ENV, IM_HTTP_PORT: "0", IM_HTTP_HOST: "127.0.0.1", ...env, IM_DATA_DIR: dir },
    stdout: "piped",
    stderr: "piped",
  });
  const process = command.spawn();
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${output.join("")}`)),
      60_000,
    );
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        output.push(chunk);
        const match = /listening on http:\/\/([\d.]+):(\d+)/.exec(output.join(""));
        if (match) {
          clearTimeout(timer);
          resolve(`http://${match[1] === "0.0.0.0" ? "127.0.0.1" : match[1]}:${match[2]}`);
        }
      }
    };
    pump(process.stdout);
    pump(process.stderr);
    process.status.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output.join("")}`));
    });
  });
  return {
    url,
    dataDir: dir,
    process,
    output,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        process.kill(signal);
      } catch {
        // Already gone.
      }
      const status = await process.status;
      // Every suite that stops its server checks that it printed no password or token.
      const printed = output.join("");
      const leaked = [...SECRETS].filter((secret) => printed.includes(secret));
      if (leaked.length > 0) {
        throw new Error(`The server printed ${leaked.length} secret(s) of the tests: ${printed}`);
      }
      return status;
    },
  };
}

let counter = 0;

/** A unique username for this run. */
export function uniqueName(prefix = "u"): string {
  return `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${
    Math.random().toString(36).slice(2, 6)
  }`;
}

/** Registers a new user and returns a connected client (unless `connect: false`). */
export async function newUser(
  url: string,
  { connect = true, autoAck = true, name }: {
    connect?: boolean;
    autoAck?: boolean;
    name?: string;
  } = {},
): Promise<ImClient> {
  const client = new ImClient({ baseUrl: url, autoAck });
  SECRETS.add((await client.register(name ?? uniqueName(), PASSWORD)).token);
  if (connect) await client.connect();
  return client;
}

/** A second device of the same account. */
export async function secondDevice(
  url: string,
  first: ImClient,
  autoAck = true,
): Promise<ImClient> {
  const client = new ImClient({ baseUrl: url, token: first.token, autoAck });
  await client.connect();
  return client;
}

/** Waits for an event matching a predicate. */
export function waitFor<K extends keyof ClientEvents>(
  client: ImClient,
  event: K,
  predicate: (value: ClientEvents[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const off = client.on(event, (value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/**
 * Resolves when the server answers a ping sent now. The server answers a ping as it arrives,
 * ahead of frames still queued, so this waits for frames handled at once (an `ack`), not for
 * a `send` or `read` still in hand; every frame the server sent before the pong has arrived.
 * (The SDK's own pings are 25 s apart, far longer than a test.)
 */
export function roundTrip(client: ImClient): Promise<unknown> {
  const pong = waitFor(client, "frame", (frame) => frame.op === "pong");
  client.rawSend(JSON.stringify({ op: "ping" }));
  return pong;
}

/** Makes two connected clients friends. */
export async function befriend(a: ImClient, b: ImClient): Promise<void> {
  const { request } = await a.requestFriend((await b.me()).id);
  await b.acceptFriend(request!.id);
}

/** Two new connected users who are friends. */
export async function friendPair(url: string): Promise<[ImClient, ImClient]> {
  const a = await newUser(url);
  const b = await newUser(url);
  await befriend(a, b);
  return [a, b];
}

/** Records every event of a kind. */
export function collect<K extends keyof ClientEvents>(
  client: ImClient,
  event: K,
): ClientEvents[K][] {
  const list: ClientEvents[K][] = [];
  client.on(event, (value) => list.push(value));
  return list;
}

/** Polls until `check` returns a truthy value. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A 2×3 PNG image. */
export const PNG_2x3 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAIAAAA2iEnWAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** A raw WebSocket upgrade of `wsUrl` over fetch, to read the refusals a browser would not show. */
export function upgradeRequest(
  wsUrl: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(wsUrl.replace(/^ws/, "http"), {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      ...headers,
    },
  });
}

/**
 * A process's resident memory in bytes, from /proc/<pid>/status (Deno grants reading /proc only
 * with --allow-all; without it, from `ps`).
 */
export async function residentBytes(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (kb) return Number(kb[1]) * 1024;
  } catch {
    // Not readable here: ask ps.
  }
  const { stdout } = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] })
    .output();
  return Number(new TextDecoder().decode(stdout).trim()) * 1024;
}

/** The error code a call of the SDK fails with (it must fail with an ImError). */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  return ((await assertRejects(() => promise, ImError)) as ImError).code;
}
