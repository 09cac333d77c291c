/** The store on PostgreSQL through postgres.js, for a cluster. */
import postgres from "postgres";
import type { SqlDriver } from "./driver.ts";
import type { MessageStore, Store } from "./mod.ts";
import { ReplicaReads } from "./replica_reads.ts";
import { migrate, prepareSearchIndex, sqlStore, type SqlStoreOptions } from "./sql.ts";
import { logger } from "../log.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

function driver(sql: Sql, root: postgres.Sql): SqlDriver {
  return {
    dialect: "postgres",
    async query<T>(text: string, params: readonly unknown[] = []) {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return [...rows] as T[];
    },
    async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
      if (sql !== root) return await fn(driver(sql, root));
      return await root.begin((tx) => fn(driver(tx, root))) as T;
    },
    async exec(script: string) {
      await sql.unsafe(script);
    },
    async close() {
      await root.end({ timeout: 5 });
    },
  };
}

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions extends SqlStoreOptions {
  /** A `postgres://` URL. */
  url: string;
  /** Most connections in the pool. */
  poolSize: number;
  /**
   * A streaming replica's `postgres://` URL: history pages and message searches go there
   * whenever it has replayed all the primary had committed when they began (replica_reads.ts).
   */
  replicaUrl?: string;
}

function connect(url: string, poolSize: number): postgres.Sql {
  return postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 10,
    // int8 stays a decimal string, as the PGlite adapter does: ids do not fit a JS number.
    types: {
      bigint: { to: 20, from: [20], serialize: (v: unknown) => String(v), parse: (v: string) => v },
    },
  });
}

/**
 * Opens the PostgreSQL store and runs pending migrations (serialized across
 * instances); with `searchIndex` given, applies it to the search index
 * (`prepareSearchIndex()`).
 */
export async function openPostgresStore(
  { url, poolSize, searchIndex, replicaUrl }: PostgresStoreOptions,
): Promise<Store> {
  const sql = connect(url, poolSize);
  const db = driver(sql, sql);
  await migrate(db);
  // Only the writer (task) says whether the index is on: a logic instance, which never saves
  // messages, opens without it and must not rebuild an index a task keeps off (a benchmark).
  if (searchIndex !== undefined) await prepareSearchIndex(db, { searchIndex });
  const store = sqlStore(db, { searchIndex });
  if (!replicaUrl) return store;

  const replica = connect(replicaUrl, poolSize);
  const onReplica = sqlStore(driver(replica, replica), { searchIndex }).messages;
  const router = new ReplicaReads({
    async primaryPosition() {
      const [row] = await sql<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
      return row.lsn;
    },
    async replicaReached(position) {
      // NULL (false) on a server that is not replaying: a promoted replica is not read this way.
      const [row] = await replica<{ ok: boolean }[]>`
        SELECT coalesce(pg_last_wal_replay_lsn() >= ${position}::pg_lsn, false) AS ok`;
      return row.ok;
    },
  }, {
    onError: (error) => logger("store").warn("replica read failed; reading the primary", { error }),
  });
  return {
    ...store,
    messages: routeToReplica(store.messages, onReplica, router),
    async close() {
      await Promise.all([store.close(), replica.end({ timeout: 5 })]);
    },
  };
}

/** `primary`, with history and search read from the replica where `router` allows. */
function routeToReplica(
  primary: MessageStore,
  replica: MessageStore,
  router: ReplicaReads,
): MessageStore {
  const routed: Partial<MessageStore> = {
    history: (conversationId, query) =>
      router.read(
        () => replica.history(conversationId, query),
        () => primary.history(conversationId, query),
      ),
    search: (query) => router.read(() => replica.search(query), () => primary.search(query)),
  };
  return new Proxy(primary, {
    get(target, key) {
      if (key in routed) return routed[key as keyof MessageStore];
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
