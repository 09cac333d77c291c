/**
 * The single-node engines of `deno task infra:up` as processes the benchmarks can measure: CPU
 * seconds and resident memory of Kafka (the JVM), Redis, etcd and PostgreSQL (the postmaster
 * and every backend it forked, summed), from their pid files in `IM_INFRA_DIR`.
 */
import { processStats } from "./resident.ts";

export const ENGINES = ["kafka", "redis", "etcd", "postgres"] as const;
export type Engine = typeof ENGINES[number];

const DIR = Deno.env.get("IM_INFRA_DIR") ?? "/tmp/im-infra";

async function text(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** The pid of an engine's main process, or undefined when it is not running from `DIR`. */
async function mainPid(engine: Engine): Promise<number | undefined> {
  const file = engine === "postgres" ? `${DIR}/pg/data/postmaster.pid` : `${DIR}/${engine}.pid`;
  const pid = Number((await text(file))?.split("\n")[0].trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The children of a process (PostgreSQL's backends), from `ps`. */
async function children(pid: number): Promise<number[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["--ppid", String(pid), "-o", "pid="],
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").map((l) => Number(l.trim())).filter((n) =>
    n > 0
  );
}

/** CPU seconds used so far and resident KB now, of one engine (its process tree for PostgreSQL). */
export async function engineStats(
  engine: Engine,
): Promise<{ cpuSeconds: number; rssKb: number } | undefined> {
  const pid = await mainPid(engine);
  if (pid === undefined) return undefined;
  const pids = engine === "postgres" ? [pid, ...await children(pid)] : [pid];
  let cpuSeconds = 0, rssKb = 0;
  for (const p of pids) {
    try {
      const s = await processStats(p);
      cpuSeconds += s.cpuSeconds;
      rssKb += s.rssKb;
    } catch { /* a backend that exited between the listing and the read */ }
  }
  return { cpuSeconds, rssKb };
}

/** Every engine's stats at once; an engine that is not running is left out. */
export async function allEngineStats(): Promise<
  Partial<Record<Engine, { cpuSeconds: number; rssKb: number }>>
> {
  const out: Partial<Record<Engine, { cpuSeconds: number; rssKb: number }>> = {};
  for (const engine of ENGINES) {
    const s = await engineStats(engine);
    if (s) out[engine] = s;
  }
  return out;
}

if (import.meta.main) console.log(await allEngineStats());
