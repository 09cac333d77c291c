/**
 * What the bench asks PostgreSQL (of `deno task infra:up`) directly: a database kept across runs
 * for the search scenario, and the sizes of the database and of its search index.
 */
import postgres from "postgres";
import { INFRA } from "../tests/infra.ts";

/** A connection pool to `url` for a scenario's own queries (the bench's only door to npm:postgres). */
export type Sql = postgres.Sql;
export function openSql(url: string, max = 1): Sql {
  return postgres(url, { max, onnotice: () => {} });
}

async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** The URL of database `name` on the infrastructure's server, created empty if missing. */
export async function keptDatabase(name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Not a database name: ${name}`);
  await withSql(`${INFRA.postgres}/postgres`, async (sql) => {
    const found = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (found.length === 0) await sql.unsafe(`CREATE DATABASE ${name}`);
  });
  return `${INFRA.postgres}/${name}`;
}

/** The database's size, and the search index's (the table `message_search` with its indexes). */
export async function searchIndexBytes(url: string): Promise<{ total: number; index: number }> {
  return await withSql(url, async (sql) => {
    const [row] = await sql<{ total: string; index: string }[]>`
      SELECT pg_database_size(current_database())::text AS total,
             pg_total_relation_size('message_search')::text AS index`;
    return { total: Number(row.total), index: Number(row.index) };
  });
}

/**
 * Rewrites the search table and its indexes compactly: after the store emptied the index (a
 * reopen with the index on, past an index-off fill), so the rebuild is measured from nothing,
 * not into the dead rows of the previous run's.
 */
export async function compactSearchIndex(url: string): Promise<void> {
  await withSql(url, (sql) => sql.unsafe("VACUUM FULL message_search").then(() => {}));
}

/** Gathers the planner's statistics of the search table, as autovacuum soon would after a build. */
export async function analyzeSearchIndex(url: string): Promise<void> {
  await withSql(url, (sql) => sql.unsafe("ANALYZE message_search").then(() => {}));
}
