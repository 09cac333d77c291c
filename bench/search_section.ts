/**
 * The search scenario of one target, start to end: the kept store filled if need be and indexed
 * from nothing (bench/search_fill.ts), then the server (embedded, or a cluster) started on it and
 * searched over HTTP (bench/search.ts); the rows of the main table, a table by query kind, notes.
 */
import {
  keptNames,
  layout,
  postgresEngine,
  prepareSearchStore,
  type SearchStoreFigures,
  sqliteEngine,
} from "./search_fill.ts";
import { searchErrors, searchKindTable, searchRows, searchScenario } from "./search.ts";
import { formatNumber, type Row } from "./report.ts";
import type { Target } from "./targets.ts";

const mb = (bytes: number) => bytes / 1024 / 1024;

function storeRows(
  target: string,
  scenario: string,
  messages: number,
  f: SearchStoreFigures,
  engine: "sqlite" | "postgres",
): Row[] {
  const disk = engine === "sqlite" ? "data folder" : "database (pg_database_size)";
  const row = (metric: string, value: number, unit: string, note?: string): Row => ({
    target,
    scenario,
    metric,
    value,
    relay: NaN,
    unit,
    note,
  });
  return [
    ...(f.fillPerSecond === undefined
      ? []
      : [row("fill through the store ports, index off", f.fillPerSecond, "msg/s")]),
    row(
      "index build (indexBacklog(1000) until 0)",
      f.buildSeconds,
      "s",
      `${formatNumber(f.buildSeconds)} s (${
        Math.round(f.indexed / f.buildSeconds).toLocaleString("en")
      } msg/s, ${f.indexed.toLocaleString("en")} indexed)`,
    ),
    row(`${disk} without the index`, mb(f.bytesBefore), "MB"),
    row(
      `${disk} with it${engine === "sqlite" ? " (closed: the WAL checkpointed)" : ""}`,
      mb(f.bytesAfter),
      "MB",
    ),
    row(
      engine === "sqlite"
        ? "the search index (its pages, dbstat)"
        : "the search index (pg_total_relation_size)",
      mb(f.indexBytes),
      "MB",
      `${formatNumber(mb(f.indexBytes))} MB (${
        Math.round(f.indexBytes / messages)
      } bytes a message)`,
    ),
  ];
}

/** Runs the search scenario against `target`'s kind of system. */
export async function searchSection(
  target: "embedded" | "cluster",
  { messages, dataDir, start, progress, say }: {
    messages: number;
    /** The embedded store's folder (default: one named by `messages`, kept). */
    dataDir?: string;
    /** Starts the system on the folder or database URL. */
    start: (where: string) => Promise<Target>;
    progress: (line: string) => void;
    say: (line: string) => void;
  },
): Promise<{ rows: Row[]; table: string; notes: string[] }> {
  const plan = layout(messages);
  const names = keptNames(messages);
  const engine = target === "embedded"
    ? sqliteEngine(dataDir ?? names.folder)
    : await postgresEngine(names.database);
  const scenario = `search, ${messages.toLocaleString("en")} messages in ${
    plan.conversations.length.toLocaleString("en")
  } conversations`;
  const figures = await prepareSearchStore(engine, plan, progress);
  say(
    `${target}: search store ${engine.kind === "sqlite" ? engine.where : names.database}: ` +
      `index built in ${formatNumber(figures.buildSeconds)} s, ${
        formatNumber(mb(figures.indexBytes))
      } MB`,
  );
  const system = await start(engine.where);
  let runs;
  try {
    runs = await searchScenario(system, plan, { progress });
  } finally {
    await system.stop();
  }
  const rows = [
    ...storeRows(target, scenario, messages, figures, engine.kind),
    ...searchRows(target, scenario, runs),
  ];
  for (const r of runs) {
    say(
      `${target}: search ${r.scope}, ${r.concurrency} at a time: p50 ${
        formatNumber(r.latencies[Math.floor(r.latencies.length / 2)])
      } ms, p99 ${formatNumber(r.latencies[Math.floor(r.latencies.length * 0.99)])} ms`,
    );
  }
  const searchers = plan.searchers.map((s) => s.conversations.length).join(", ");
  return {
    rows,
    table: searchKindTable(target, runs),
    notes: [
      `Search (${target}): ${plan.searchers.length} users in ${searchers} conversations each; ` +
      `the store kept in ${engine.kind === "sqlite" ? engine.where : names.database}.`,
      ...searchErrors(target, runs),
    ],
  };
}
