/**
 * The search scenario's store: filled once through the store's own ports (users, friendships,
 * groups, then messages in batches of `save()`, far faster than through the server) with the search
 * index off, kept for later runs (a data folder for the embedded mode, a database for a cluster),
 * then indexed from nothing in every run, as a store that gains the index catches up: reopened
 * with the index on (which empties it, the folder having been opened with it off), then
 * `indexBacklog()` until nothing is left. Reports what filling and indexing cost in time and disk.
 */
import { DatabaseSync } from "node:sqlite";
import type { AcceptedMessage } from "../shared/types.ts";
import { groupConversationId, privateConversationId } from "../shared/types.ts";
import { SNOWFLAKE_EPOCH } from "../shared/snowflake.ts";
import type { Store } from "../shared/store/mod.ts";
import { openSqliteStore, sqlitePath } from "../shared/store/sqlite.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { hashPassword } from "../logic/credentials.ts";
import { PASSWORD } from "../tests/harness.ts";
import {
  busiestFirst,
  conversationsOf,
  type CorpusConversation,
  messagePlan,
} from "./search_corpus.ts";
import { folderBytes } from "./prefill.ts";

/** The corpus's version: a change to search_corpus.ts that changes its data bumps it (new folders). */
const CORPUS = 1;
const SEED = 17;
/** The user created after everything else: a store that has it is filled. */
const FILLED_MARK = "srchfilled";
const SAVE_BATCH = 1000;
const BACKLOG_BATCH = 1000;
/** Users and groups are dated here; messages from a day later until the fill. */
const CREATED_AT = Date.UTC(2026, 0, 1);

/** Where the scenario's data is kept, and how the store there is opened. */
export interface SearchEngine {
  kind: "sqlite" | "postgres";
  /** The data folder, or the database's URL. */
  where: string;
  open(searchIndex: boolean): Promise<Store>;
  /** The bytes on disk in all and of the search index, with the store closed. */
  bytes(): Promise<{ total: number; index: number; free: number }>;
  /** Run after the store emptied the index: makes the empty index as small as a new one. */
  compact(): Promise<void>;
  /**
   * What the engine does by itself soon after a bulk load, done at once so the searches do not
   * race it: PostgreSQL's autovacuum analyzes a table that changed by a tenth (without statistics
   * its planner walks the newest ids for a rare query instead of asking the GIN index).
   */
  settle(): Promise<void>;
}

/** The embedded mode's engine on a data folder. */
export function sqliteEngine(dataDir: string): SearchEngine {
  return {
    kind: "sqlite",
    where: dataDir,
    async open(searchIndex) {
      await Deno.mkdir(dataDir, { recursive: true });
      return await openSqliteStore({ dataDir, searchIndex });
    },
    async bytes() {
      // Closed, the store has checkpointed its WAL into the file: the folder is what it holds.
      const total = await folderBytes(dataDir);
      const db = new DatabaseSync(sqlitePath(dataDir), { readOnly: true });
      try {
        const index = db.prepare(
          `SELECT coalesce(sum(pgsize), 0) AS n FROM dbstat WHERE name LIKE 'message_search%'`,
        ).get() as { n: number };
        const pages = db.prepare(
          "SELECT freelist_count * page_size AS n FROM pragma_freelist_count, pragma_page_size",
        ).get() as { n: number };
        return { total, index: Number(index.n), free: Number(pages.n) };
      } finally {
        db.close();
      }
    },
    compact: () => Promise.resolve(),
    settle: () => Promise.resolve(),
  };
}

/** A cluster's engine on a database of `deno task infra:up`, kept across runs. */
export async function postgresEngine(database: string): Promise<SearchEngine> {
  const { keptDatabase, searchIndexBytes, compactSearchIndex, analyzeSearchIndex } = await import(
    "./postgres.ts"
  );
  const url = await keptDatabase(database);
  return {
    kind: "postgres",
    where: url,
    open: (searchIndex) => openPostgresStore({ url, poolSize: 4, searchIndex }),
    bytes: async () => ({ ...await searchIndexBytes(url), free: 0 }),
    compact: () => compactSearchIndex(url),
    settle: () => analyzeSearchIndex(url),
  };
}

/** The default place of the scenario's data for `messages` messages: a folder, and a database. */
export function keptNames(messages: number): { folder: string; database: string } {
  const tmp = Deno.env.get("TMPDIR") ?? "/var/tmp";
  return {
    folder: `${tmp}/im-bench-search-v${CORPUS}-${messages}`,
    database: `im_bench_search_v${CORPUS}_${messages}`,
  };
}

/** A user who signs in to search, and their conversations (busiest first). */
export interface Searcher {
  username: string;
  /** How many conversations the user is in. */
  conversations: string[];
}

/** The scenario's shape, from the corpus alone (the same on every run). */
export interface SearchLayout {
  users: number;
  conversations: CorpusConversation[];
  messages: number;
  userId(index: number): string;
  conversationId(index: number): string;
  /** Users of many, some and few conversations, to sign in as. */
  searchers: Searcher[];
}

/** An id of this bench's own worker id, dated `ms`, the `n`-th of that millisecond. */
function benchId(ms: number, worker: number, n: number): string {
  return String(
    (BigInt(ms - SNOWFLAKE_EPOCH) << 22n) | (BigInt(worker) << 12n) | BigInt(n & 0xfff),
  );
}

/** The corpus's users, conversations and searchers for `messages` messages. */
export function layout(messages: number): SearchLayout {
  const users = 5_000;
  const conversations = conversationsOf(users, 10_000, SEED);
  const userId = (i: number) => benchId(CREATED_AT + (i >> 12), 1021, i);
  const conversationId = (i: number) => {
    const { members, group } = conversations[i];
    return group
      ? groupConversationId(benchId(CREATED_AT + (i >> 12), 1022, i))
      : privateConversationId(userId(members[0]), userId(members[1]));
  };
  const rank = new Map(busiestFirst(conversations.length, SEED).map((c, r) => [c, r]));
  const of = new Map<number, number[]>();
  conversations.forEach(({ members }, c) => {
    for (const m of members) of.set(m, [...of.get(m) ?? [], c]);
  });
  const byCount = [...of.keys()].sort((a, b) => of.get(b)!.length - of.get(a)!.length || a - b);
  // Three of the busiest users, three of a few hundred conversations, six of the middle.
  const picks = [
    ...byCount.slice(0, 3),
    ...byCount.filter((u) => of.get(u)!.length <= 300).slice(0, 3),
    ...byCount.slice(Math.floor(byCount.length / 2), Math.floor(byCount.length / 2) + 6),
  ];
  const searchers = picks.map((u) => ({
    username: `srch${u}`,
    conversations: of.get(u)!.sort((a, b) => rank.get(a)! - rank.get(b)!).map(conversationId),
  }));
  return { users, conversations, messages, userId, conversationId, searchers };
}

/** What preparing the scenario's store measured. */
export interface SearchStoreFigures {
  /** Messages a second of the fill (its messages, after the users and conversations), when this run filled the store. */
  fillPerSecond?: number;
  indexed: number;
  buildSeconds: number;
  /** The data folder or database before the index was built, after, and the index alone. */
  bytesBefore: number;
  bytesAfter: number;
  indexBytes: number;
}

async function fill(
  store: Store,
  plan: SearchLayout,
  progress: (line: string) => void,
): Promise<number> {
  const passwordHash = await hashPassword(PASSWORD, 1024);
  for (let i = 0; i < plan.users; i += 100) {
    progress(`search data: users ${i} / ${plan.users}`);
    await Promise.all(
      Array.from({ length: Math.min(100, plan.users - i) }, (_, k) =>
        store.accounts.createUser({
          id: plan.userId(i + k),
          username: `srch${i + k}`,
          passwordHash,
          nickname: `Searcher ${i + k}`,
          createdAt: CREATED_AT,
        })),
    );
  }
  for (const [c, { members, group }] of plan.conversations.entries()) {
    if (c % 500 === 0) progress(`search data: conversations ${c} / ${plan.conversations.length}`);
    if (group) {
      await store.groups.create({
        id: plan.conversationId(c).slice(2),
        name: `group ${c}`,
        avatarMediaId: null,
        ownerId: plan.userId(members[0]),
        createdAt: CREATED_AT,
      }, members.map(plan.userId));
    } else {
      await store.friends.add(plan.userId(members[0]), plan.userId(members[1]), CREATED_AT);
    }
  }
  // Messages a little apart, from a day after the users until a minute ago.
  const first = CREATED_AT + 86_400_000;
  const step = (Date.now() - 60_000 - first) / plan.messages;
  let batch: AcceptedMessage[] = [];
  let n = 0;
  const started = performance.now();
  const show = () => {
    const rate = n / ((performance.now() - started) / 1000);
    progress(
      `search data: ${n.toLocaleString("en")} / ${plan.messages.toLocaleString("en")} messages, ` +
        `${rate.toFixed(0)}/s`,
    );
  };
  for (
    const { conversation, sender, text } of messagePlan(plan.conversations, plan.messages, SEED)
  ) {
    const sentAt = Math.floor(first + n * step);
    const { members, group } = plan.conversations[conversation];
    const conversationId = plan.conversationId(conversation);
    const from = plan.userId(sender);
    batch.push({
      id: benchId(sentAt, 1023, n),
      conversationId,
      from,
      to: group
        ? { type: "group", id: conversationId.slice(2) }
        : { type: "user", id: plan.userId(members[0] === sender ? members[1] : members[0]) },
      content: { type: "text", text },
      sentAt,
      clientMsgId: `s${n.toString(36)}`,
    });
    n++;
    if (batch.length === SAVE_BATCH) {
      await store.messages.save(batch);
      batch = [];
      if (n % 20_000 === 0) show();
    }
  }
  if (batch.length > 0) await store.messages.save(batch);
  show();
  const seconds = (performance.now() - started) / 1000;
  await store.accounts.createUser({
    id: benchId(CREATED_AT, 1020, 0),
    username: FILLED_MARK,
    passwordHash,
    nickname: "filled",
    createdAt: CREATED_AT,
  });
  return plan.messages / seconds;
}

/**
 * Fills the engine's store if it is not filled yet (with the index off), then builds the search
 * index from nothing, measuring the time and the bytes it takes.
 */
export async function prepareSearchStore(
  engine: SearchEngine,
  plan: SearchLayout,
  progress: (line: string) => void,
): Promise<SearchStoreFigures> {
  let fillPerSecond: number | undefined;
  // Opened with the index off, the store marks its index stale: the next open with it on empties
  // it and backlogs every message, as a rerun must to measure the build again.
  const off = await engine.open(false);
  try {
    if (!await off.accounts.credentials(FILLED_MARK)) {
      fillPerSecond = await fill(off, plan, progress);
    }
  } finally {
    await off.close();
  }
  await (await engine.open(true)).close();
  await engine.compact();
  const before = await engine.bytes();

  const started = performance.now();
  const store = await engine.open(true);
  let indexed = 0;
  try {
    for (;;) {
      const n = await store.messages.indexBacklog(BACKLOG_BATCH);
      if (n === 0) break;
      indexed += n;
      if (indexed % 50_000 < BACKLOG_BATCH) {
        const rate = indexed / ((performance.now() - started) / 1000);
        progress(`search index: ${indexed.toLocaleString("en")} indexed, ${rate.toFixed(0)}/s`);
      }
    }
  } finally {
    await store.close();
  }
  const buildSeconds = (performance.now() - started) / 1000;
  await engine.settle();
  const after = await engine.bytes();
  return {
    fillPerSecond,
    indexed,
    buildSeconds,
    bytesBefore: before.total - before.free - before.index,
    bytesAfter: after.total,
    indexBytes: after.index,
  };
}
