/**
 * The search scenario's measurement: users of many, some and few conversations sign in over HTTP
 * and search as the web client does (`GET /api/messages/search`, a first page of 20), across all
 * their conversations and within one (their busiest, or another of theirs), the query mix of
 * `QUERIES`, one search at a time and then several at once. Latency is from the request to its
 * answer, in the bench process.
 */
import { ImHttp } from "../client/http.ts";
import { PASSWORD } from "../tests/harness.ts";
import { percentile } from "./scenarios.ts";
import { QUERIES } from "./search_corpus.ts";
import type { SearchLayout } from "./search_fill.ts";
import type { Target } from "./targets.ts";
import type { Row } from "./report.ts";
import { formatNumber } from "./report.ts";

/** One search to make: who, what, and where. */
interface Job {
  client: ImHttp;
  q: string;
  kind: string;
  conversationId?: string;
}

/** The figures of one way of searching. */
export interface SearchRun {
  scope: "all conversations" | "one conversation";
  /** How many searches were in flight at once. */
  concurrency: number;
  /** Sorted latencies in ms. */
  latencies: number[];
  perSecond: number;
  /** By query kind: sorted latencies and the mean number of results (of at most 20). */
  kinds: Map<string, { latencies: number[]; results: number }>;
  errors: Map<string, number>;
}

async function run(jobs: Job[], concurrency: number): Promise<Omit<SearchRun, "scope">> {
  const latencies: number[] = [];
  const kinds = new Map<string, { latencies: number[]; results: number }>();
  const errors = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const t = performance.now();
      try {
        const found = await job.client.searchMessages(job.q, {
          conversationId: job.conversationId,
          limit: 20,
        });
        const ms = performance.now() - t;
        latencies.push(ms);
        const kind = kinds.get(job.kind) ?? { latencies: [], results: 0 };
        kind.latencies.push(ms);
        kind.results += found.length;
        kinds.set(job.kind, kind);
      } catch (error) {
        const code = (error as { code?: string }).code ?? String(error);
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  for (const kind of kinds.values()) {
    kind.results /= kind.latencies.length;
    kind.latencies.sort((a, b) => a - b);
  }
  return {
    concurrency,
    latencies: latencies.sort((a, b) => a - b),
    perSecond: latencies.length / seconds,
    kinds,
    errors,
  };
}

/**
 * Signs the layout's searchers in and makes `rounds` × every query × every searcher searches in each
 * scope, one at a time and `concurrency` at a time.
 */
export async function searchScenario(
  target: Target,
  plan: SearchLayout,
  { rounds = 1, concurrency = 8, progress }: {
    rounds?: number;
    concurrency?: number;
    progress: (line: string) => void;
  },
): Promise<SearchRun[]> {
  progress(`${target.name} search: signing in ${plan.searchers.length} users`);
  const searchers = await Promise.all(plan.searchers.map(async (s) => {
    const client = new ImHttp({ baseUrl: target.url });
    await client.login(s.username, PASSWORD);
    return { client, conversations: s.conversations };
  }));
  const jobs = (scope: SearchRun["scope"]): Job[] => {
    const out: Job[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [i, s] of searchers.entries()) {
        for (const [k, q] of QUERIES.entries()) {
          // Within one conversation: the user's busiest one, or (every other query) another.
          const conversationId = scope === "all conversations"
            ? undefined
            : s.conversations[(k + i + round) % 2 === 0 ? 0 : (k * 7 + i) % s.conversations.length];
          out.push({ client: s.client, q: q.text, kind: q.kind, conversationId });
        }
      }
    }
    return out;
  };
  // Warm up: the server's code and the engine's pages the queries read.
  await run(jobs("all conversations").slice(0, QUERIES.length * 2), 1);
  const runs: SearchRun[] = [];
  for (const scope of ["all conversations", "one conversation"] as const) {
    for (const c of [1, concurrency]) {
      progress(`${target.name} search: ${scope}, ${c} at a time`);
      runs.push({ scope, ...await run(jobs(scope), c) });
    }
  }
  return runs;
}

const ms = (n: number) => `${formatNumber(n)} ms`;

/** The main table's rows of the scenario: p50 and p99 of each way of searching, searches/s. */
export function searchRows(target: string, scenario: string, runs: SearchRun[]): Row[] {
  return runs.flatMap((r) => {
    const name = `${scenario}, ${r.scope}, ${
      r.concurrency === 1 ? "one at a time" : `${r.concurrency} at a time`
    }`;
    const row = (metric: string, value: number, unit: string): Row => ({
      target,
      scenario: name,
      metric,
      value,
      relay: NaN,
      unit,
    });
    return [
      row("searches/s", r.perSecond, ""),
      row("latency p50", percentile(r.latencies, 0.5), "ms"),
      row("latency p99 (goal ≤ 100 ms)", percentile(r.latencies, 0.99), "ms"),
    ];
  });
}

/** A table by query kind: searches, mean results, p50 and p99 in each scope and load. */
export function searchKindTable(target: string, runs: SearchRun[]): string {
  const lines = [
    "| target | scope | at a time | query kind | searches | results (mean, of ≤ 20) | p50 | p99 |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const order = [...new Set(QUERIES.map((q) => q.kind))];
  for (const r of runs) {
    for (const [kind, k] of [...r.kinds].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))) {
      lines.push(
        `| ${target} | ${r.scope} | ${r.concurrency} | ${kind} | ${k.latencies.length} | ${
          formatNumber(k.results)
        } | ${ms(percentile(k.latencies, 0.5))} | ${ms(percentile(k.latencies, 0.99))} |`,
      );
    }
  }
  return lines.join("\n");
}

/** Lines about failed searches (none when all were answered). */
export function searchErrors(target: string, runs: SearchRun[]): string[] {
  return runs.filter((r) => r.errors.size > 0).map((r) =>
    `${target}, search ${r.scope}, ${r.concurrency} at a time: ${
      [...r.errors].map(([code, n]) => `${n} failed with ${code}`).join(", ")
    }.`
  );
}
