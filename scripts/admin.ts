/**
 * The admin tool: `deno task admin <subcommand> [options]`.
 *
 *   find <username|id|prefix>        users by id, username or username prefix
 *   disable <user> [--reason TEXT]   no more sign-in; every session ends (sockets close with 4401)
 *   enable <user>                    sign-in works again
 *   signout <user>                   every session ends, the account stays as it is
 *   recall <messageId> [--reason T]  recalls any message as a moderator
 *   counts                           users, disabled, groups, messages, online
 *   audit [--limit N]                the latest actions of the audit log (20 unless said)
 *
 * Where: `--data DIR` (an embedded data folder; IM_DATA_DIR, else ./data) or
 * `--postgres URL` (a cluster's database; IM_POSTGRES_URL when set and no
 * `--data`). `--by NAME` names who acts in the audit log (default
 * `$USER@host`); `--json` prints JSON; `--wait S` is how long to wait for a
 * server to apply an action (10 s).
 *
 * Every action (disable, enable, signout, recall, counts) is written to the
 * audit log (`admin_actions`) first; a running server (every logic process, or
 * the embedded server) applies it within a second and writes its result, which
 * this prints. On an embedded folder no server is using, the tool applies it
 * itself. Reads (find, audit) change nothing and are not recorded. Beside a
 * running embedded server the tool never migrates the file nor checkpoints it,
 * and refuses a file at another schema version than its own; reads never take
 * the folder's lock (see `openAdminTarget()`).
 *
 * Exit codes: 0 done; 1 the action failed (its error is printed and kept in the
 * audit log); 2 bad input (nothing was written); 3 queued: no server applied it
 * in time (it stays pending, and the next server to run applies it).
 */
import { AppError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import type { LogRecord } from "../shared/message_log/mod.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { Snowflake } from "../shared/snowflake.ts";
import { exists, lockDataDir } from "../shared/store/embedded.ts";
import type { AdminActionName, AdminActionRow, AdminUserRow, Store } from "../shared/store/mod.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { sqlStore } from "../shared/store/sql.ts";
import { openSqliteDriver, SchemaMismatch, SQLITE_FILE } from "../shared/store/sqlite.ts";
import { type AdminDeps, applyPendingAdminActions, checkAdminId } from "../logic/admin.ts";

const USAGE = `Usage: deno task admin <subcommand> [options]

  find <username|id|prefix>        users by id, username or username prefix
  disable <user> [--reason TEXT]   no more sign-in; every session ends
  enable <user>                    sign-in works again
  signout <user>                   every session of the user ends
  recall <messageId> [--reason T]  recall any message as a moderator
  counts                           users, disabled, groups, messages, online
  audit [--limit N]                the latest admin actions (20 unless said)

Options:
  --data DIR       an embedded data folder (IM_DATA_DIR, else ./data)
  --postgres URL   a cluster's PostgreSQL (IM_POSTGRES_URL when set)
  --by NAME        who acts, for the audit log ($USER@host)
  --json           print JSON
  --wait S         seconds to wait for a server to apply an action (10)

<user> is a username or a user id. Exit codes: 0 done, 1 failed, 2 bad input,
3 queued (no server applied it in time; the next one to run will).`;

/** Bad input: the message is printed with the usage, and the tool exits 2 having written nothing. */
export class UsageError extends Error {}

/** The command line, parsed and checked. */
export interface AdminCommand {
  subcommand: "find" | "audit" | AdminActionName;
  /** The subcommand's argument (user, message id or query); "" for counts and audit. */
  argument: string;
  reason: string | null;
  limit: number;
  data: string | null;
  postgres: string | null;
  by: string | null;
  json: boolean;
  waitMs: number;
}

const SUBCOMMANDS: Record<AdminCommand["subcommand"], "argument" | "none"> = {
  find: "argument",
  disable: "argument",
  enable: "argument",
  signout: "argument",
  recall: "argument",
  counts: "none",
  audit: "none",
};

const VALUE_OPTIONS = new Set(["--data", "--postgres", "--by", "--reason", "--limit", "--wait"]);

/** Parses the arguments; throws UsageError for anything it does not know or that is missing. */
export function parseAdminArgs(args: readonly string[]): AdminCommand {
  const options = new Map<string, string>();
  const positional: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] = arg.startsWith("--") ? arg.split(/=(.*)/s, 2) : [arg];
    if (name === "--json") json = true;
    else if (VALUE_OPTIONS.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      options.set(name, value);
    } else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`Unknown option ${arg}`);
    else positional.push(arg);
  }
  const [subcommand, argument, ...extra] = positional;
  if (!subcommand) throw new UsageError("Missing subcommand");
  if (!Object.hasOwn(SUBCOMMANDS, subcommand)) {
    throw new UsageError(`Unknown subcommand "${subcommand}"`);
  }
  const sub = subcommand as AdminCommand["subcommand"];
  const takes = SUBCOMMANDS[sub];
  if (takes === "argument" && (argument === undefined || argument.trim() === "")) {
    throw new UsageError(`${sub} needs ${sub === "recall" ? "a message id" : "a user"}`);
  }
  if (extra.length > 0 || (takes === "none" && argument !== undefined)) {
    throw new UsageError(`Unexpected argument "${takes === "none" ? argument : extra[0]}"`);
  }
  if (options.has("--reason") && sub !== "disable" && sub !== "recall") {
    throw new UsageError("--reason goes with disable or recall");
  }
  if (options.has("--limit") && sub !== "audit") throw new UsageError("--limit goes with audit");
  if (options.has("--data") && options.has("--postgres")) {
    throw new UsageError("Give --data or --postgres, not both");
  }
  const limit = whole(options.get("--limit") ?? "20", "--limit", 1, 1000);
  const waitMs = whole(options.get("--wait") ?? "10", "--wait", 0, 3600) * 1000;
  const reason = options.get("--reason")?.trim() || null;
  if (reason !== null && [...reason].length > 500) {
    throw new UsageError("--reason takes at most 500 characters");
  }
  if (sub === "recall") {
    try {
      checkAdminId(argument, "message");
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    subcommand: sub,
    argument: (argument ?? "").trim(),
    reason,
    limit,
    data: options.get("--data") ?? null,
    postgres: options.get("--postgres") ?? null,
    by: options.get("--by")?.trim() || null,
    json,
    waitMs,
  };
}

function whole(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`${name} takes a whole number from ${min} to ${max}`);
  }
  return n;
}

/** The store the command works on, and whether this process may apply actions itself. */
export interface AdminTarget {
  store: Store;
  /** Held: no server uses the embedded folder, so the tool applies actions itself. */
  lock: { close(): void } | null;
  where: string;
}

/**
 * Opens the cluster's database or the embedded folder's store (never creating
 * one). On a folder, an action first tries to take the folder's lock: held, no
 * server runs there and the tool applies the action itself (migrating the file
 * first if it must, folding its WAL when done), the lock held no longer than
 * that. Otherwise a server runs there and owns the file: the tool opens it as
 * it is (refusing one at another schema version than this build's), writes the
 * action beside the server, and closes without a checkpoint that would hold up
 * the server's writes. Reads (find, audit) never take the lock (a server
 * starting meanwhile must find the folder free), so they open it that way too.
 */
export async function openAdminTarget(command: AdminCommand): Promise<AdminTarget> {
  const postgres = command.postgres ??
    (command.data === null ? Deno.env.get("IM_POSTGRES_URL") || null : null);
  if (postgres !== null) {
    const store = await openPostgresStore({ url: postgres, poolSize: 2 });
    return { store, lock: null, where: "the cluster's PostgreSQL" };
  }
  const dataDir = command.data ?? Deno.env.get("IM_DATA_DIR") ?? "./data";
  if (dataDir.startsWith("memory://")) {
    throw new UsageError("A memory:// store keeps nothing to administer");
  }
  if (!await exists(`${dataDir}/${SQLITE_FILE}`)) {
    throw new UsageError(
      `No data in ${dataDir} (no ${SQLITE_FILE}; a PGlite folder is converted when the server starts on it)`,
    );
  }
  const reads = command.subcommand === "find" || command.subcommand === "audit";
  let lock: { close(): void } | null = null;
  if (!reads) {
    try {
      lock = lockDataDir(dataDir);
    } catch (error) {
      // A server holds the folder: the tool writes beside it (SQLite in WAL mode takes both).
      if (!(error instanceof AppError && error.code === "unavailable")) throw error;
    }
  }
  try {
    const driver = await openSqliteDriver(
      lock ? { dataDir } : { dataDir, migrate: false, checkpointOnClose: false },
    );
    return { store: sqlStore(driver), lock, where: dataDir };
  } catch (error) {
    lock?.close();
    if (!(error instanceof SchemaMismatch)) throw error;
    const versions =
      `its data is at schema version ${error.version}, this tool's is ${error.latest}`;
    throw new Error(
      reads
        ? `Cannot read ${dataDir}: ${versions}. Either the server on this folder runs another ` +
          "version (use that version's admin tool), or no server of this version has opened " +
          "it yet (start one once: it upgrades the data)."
        : `Cannot act on ${dataDir}: the server on this folder runs another version ` +
          `(${versions}). Use the admin tool of the version it runs.`,
    );
  }
}

/**
 * What the tool applies actions with when no server runs: the store itself, a
 * log that stores the messages it is given at once (as task would) and drops
 * kicks and events (nobody is connected), and nobody online.
 */
function offlineDeps(store: Store): AdminDeps & { close(): Promise<void> } {
  const dedupe = new MemoryDedupe();
  return {
    store,
    log: {
      async append(records: LogRecord[]) {
        const messages = records.flatMap((r) => r.type === "message" ? [r.message] : []);
        if (messages.length > 0) await store.messages.save(messages);
      },
    },
    presence: new MemoryPresence(),
    dedupe,
    ids: new Snowflake({ workerId: Number(Deno.env.get("IM_WORKER_ID") ?? "0") || 0 }),
    now: Date.now,
    close: () => dedupe.close(),
  };
}

/** The user a `<user>` argument names: an exact id or username, else UsageError. */
async function resolveUser(store: Store, argument: string): Promise<AdminUserRow> {
  const found = await store.admin.findUsers(argument, 5, Date.now());
  const user = found.find((u) =>
    u.id === argument || u.username.toLowerCase() === argument.toLowerCase()
  );
  if (!user) throw new UsageError(`No user "${argument}"`);
  return user;
}

function defaultActor(): string {
  let host = "localhost";
  try {
    host = Deno.hostname();
  } catch {
    // Not allowed to read it.
  }
  return `${Deno.env.get("USER") || Deno.env.get("USERNAME") || "unknown"}@${host}`;
}

function time(ms: number | null): string {
  return ms === null ? "-" : new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function describeUser(u: AdminUserRow): string {
  const state = u.disabledAt === null
    ? "active"
    : `DISABLED since ${time(u.disabledAt)}${u.disabledReason ? ` (${u.disabledReason})` : ""}`;
  return `${u.id}  ${u.username}  "${u.nickname}"  ${state}  sessions: ${u.sessions}  ` +
    `registered ${time(u.createdAt)}  last seen ${time(u.lastSeenAt)}`;
}

function describeAction(a: AdminActionRow): string {
  const args = Object.keys(a.args).length > 0 ? ` ${JSON.stringify(a.args)}` : "";
  const outcome = a.status === "pending"
    ? "pending"
    : `${a.status} ${time(a.appliedAt)} by ${a.appliedBy}: ${JSON.stringify(a.result)}`;
  return `#${a.id}  ${time(a.at)}  ${a.actor}  ${a.action}${
    a.target ? ` ${a.target}` : ""
  }${args}  ${outcome}`;
}

/** What an applied action did, in words. */
function describeResult(action: AdminActionRow, user: AdminUserRow | null): string {
  const who = user ? `${user.username} (${user.id})` : action.target;
  if (action.status === "failed") {
    const { code, message } = action.result as { code: string; message: string };
    return `Failed (${code}): ${message}`;
  }
  const result = action.result as Record<string, number | string>;
  switch (action.action) {
    case "disable":
      return `Disabled ${who}; ${result.sessionsEnded} session(s) ended.`;
    case "enable":
      return `Enabled ${who}; they can sign in again.`;
    case "signout":
      return `Signed out ${who}; ${result.sessionsEnded} session(s) ended.`;
    case "recall":
      return `Recalled message ${result.messageId} (conversation ${result.conversationId}, seq ${result.seq}).`;
    case "counts":
      return ["users", "disabled", "groups", "messages", "online"]
        .map((k) => `${k.padEnd(9)}${result[k]}`).join("\n");
  }
}

/** Waits up to `ms` for a server to apply action `id`; the row as it is then. */
async function awaitApplied(store: Store, id: string, ms: number): Promise<AdminActionRow> {
  const deadline = Date.now() + ms;
  for (;;) {
    const row = (await store.admin.action(id))!;
    if (row.status !== "pending" || Date.now() >= deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a parsed command; the exit code. */
async function run(command: AdminCommand, print: (line: string) => void): Promise<number> {
  const target = await openAdminTarget(command);
  const { store } = target;
  try {
    if (command.subcommand === "find") {
      const users = await store.admin.findUsers(command.argument, 20, Date.now());
      if (command.json) print(JSON.stringify({ users }));
      else print(users.length ? users.map(describeUser).join("\n") : "No user matches.");
      return 0;
    }
    if (command.subcommand === "audit") {
      const actions = await store.admin.actions(command.limit);
      if (command.json) print(JSON.stringify({ actions }));
      else print(actions.length ? actions.map(describeAction).join("\n") : "No admin action yet.");
      return 0;
    }
    const action = command.subcommand;
    let user: AdminUserRow | null = null;
    let targetId = "";
    if (action === "recall") {
      targetId = command.argument;
      if (!await store.messages.byId(targetId)) {
        throw new UsageError(`No message "${targetId}"`);
      }
    } else if (action !== "counts") {
      user = await resolveUser(store, command.argument);
      targetId = user.id;
    }
    const recorded = await store.admin.record({
      at: Date.now(),
      actor: command.by ?? defaultActor(),
      action,
      target: targetId,
      args: command.reason === null ? {} : { reason: command.reason },
    });
    let row: AdminActionRow;
    if (target.lock) {
      const deps = offlineDeps(store);
      try {
        // Older actions queued while no server ran go first, in order.
        await applyPendingAdminActions(deps, `admin tool (pid ${Deno.pid})`, quietLogger);
      } finally {
        await deps.close();
      }
      row = (await store.admin.action(recorded.id))!;
    } else {
      row = await awaitApplied(store, recorded.id, command.waitMs);
    }
    if (command.json) print(JSON.stringify({ action: row }));
    else if (row.status === "pending") {
      print(
        `Queued as action #${row.id}: no server applied it within ${command.waitMs / 1000} s ` +
          `(${target.where}). It stays pending; the next server to run applies it.`,
      );
    } else print(describeResult(row, user));
    return row.status === "done" ? 0 : row.status === "failed" ? 1 : 3;
  } finally {
    await store.close();
    target.lock?.close();
  }
}

/** The tool prints its own outcome: the apply step's log lines would only repeat it. */
const quietLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error(message: string, fields?: Record<string, unknown>) {
    console.error(message, fields?.error ?? "");
  },
  enabled: () => false,
  child() {
    return quietLogger;
  },
};

if (import.meta.main) {
  let code: number;
  try {
    const command = parseAdminArgs(Deno.args);
    try {
      code = await run(command, (line) => console.log(line));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      console.error(error.message);
      code = 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      code = 2;
    } else {
      console.error(`admin: ${error instanceof Error ? error.message : String(error)}`);
      code = 1;
    }
  }
  Deno.exit(code);
}
