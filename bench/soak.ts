/**
 * The soak scenario: friend pairs send at a steady rate for minutes on end,
 * and the resident memory of every server process is sampled. Memory must not
 * grow with the messages sent: the figure is the resident memory at the end
 * against its value after the first minute.
 */
import { drive, friendPairs } from "./scenarios.ts";
import { processStats } from "./resident.ts";
import { folderBytes } from "./prefill.ts";
import type { Target } from "./targets.ts";

/** One sample: when, the total RSS of the server's processes, and the messages sent so far. */
export interface SoakSample {
  seconds: number;
  rssKb: number;
  sent: number;
}

/** The soak's figures. */
export interface SoakResult {
  samples: SoakSample[];
  /** RSS after the first minute: the median of the samples of the second minute (KB). */
  firstMinuteKb: number;
  /** RSS at the end: the median of the last minute's samples (KB). */
  endKb: number;
  messagesPerSec: number;
  messages: number;
  /** Growth of the embedded server's data folder per message sent (bytes; NaN for a cluster). */
  folderBytesPerMessage: number;
}

/** The median RSS of samples; medians, since garbage collection saws RSS up and down by 20 %. */
function medianRss(samples: SoakSample[]): number {
  const sorted = samples.map((s) => s.rssKb).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs pairs at `rate` messages per second (or as fast as a window allows) for `minutes`. */
export async function soak(
  target: Target,
  { pairs, minutes, rate, sampleSeconds = 10, progress }: {
    pairs: number;
    minutes: number;
    rate?: number;
    sampleSeconds?: number;
    progress: (line: string) => void;
  },
): Promise<SoakResult> {
  const { clients, senders } = await friendPairs(target, pairs);
  const folderAtStart = target.dataDir ? await folderBytes(target.dataDir) : NaN;
  const pids = target.processes().map((p) => p.pid);
  const rss = async () =>
    (await Promise.all(pids.map((pid) => processStats(pid)))).reduce((n, s) => n + s.rssKb, 0);

  const samples: SoakSample[] = [];
  let sent = 0;
  let running = true;
  const started = performance.now();
  const sampler = (async () => {
    while (running) {
      await sleep(sampleSeconds * 1000);
      const sample = {
        seconds: Math.round((performance.now() - started) / 1000),
        rssKb: await rss(),
        sent,
      };
      samples.push(sample);
      progress(
        `${target.name} soak: ${sample.seconds} s, ${sent} sent, RSS ${
          (sample.rssKb / 1024).toFixed(0)
        } MB`,
      );
    }
  })();
  const total = await drive(senders, minutes * 60, { window: 4, rate }, (n) => sent = n);
  running = false;
  await sampler;
  await Promise.all(clients.map((c) => c.close()));
  const folderAtEnd = target.dataDir ? await folderBytes(target.dataDir) : NaN;

  const end = samples.at(-1)?.seconds ?? 0;
  return {
    samples,
    firstMinuteKb: medianRss(samples.filter((s) => s.seconds >= 60 && s.seconds <= 120)),
    endKb: medianRss(samples.filter((s) => s.seconds > end - 60)),
    messagesPerSec: total / (minutes * 60),
    messages: total,
    folderBytesPerMessage: (folderAtEnd - folderAtStart) / total,
  };
}

/** The soak's report: its samples, the RSS at the end against the first minute with the P7 verdict, and the data folder's growth. */
export function soakReport(result: SoakResult, heading: string): string {
  const change = result.endKb / result.firstMinuteKb - 1;
  const mb = (kb: number) => (kb / 1024).toFixed(0);
  // The second minute and the last one must not overlap for the comparison to mean anything.
  const verdict = (result.samples.at(-1)?.seconds ?? 0) < 180 || Number.isNaN(change)
    ? "P7 cannot be judged: the second minute and the last one overlap (run at least 3 minutes)."
    : `P7 (the end within 10 % of the first minute): ${
      Math.abs(change) <= 0.1 ? "met" : "not met"
    }.`;
  return [
    `${heading}; ${result.messages} messages, ${result.messagesPerSec.toFixed(0)}/s on average.`,
    "",
    "| seconds | messages sent | RSS (MB) |",
    "| --- | --- | --- |",
    ...result.samples.map((s) => `| ${s.seconds} | ${s.sent} | ${mb(s.rssKb)} |`),
    "",
    `RSS after the first minute (median of the second minute) ${mb(result.firstMinuteKb)} MB, ` +
    `at the end (median of the last minute) ${mb(result.endKb)} MB: ${
      (change * 100).toFixed(1)
    } %. ` +
    verdict,
    "",
    Number.isNaN(result.folderBytesPerMessage)
      ? "Data folder growth: not measured (a cluster has no data folder here)."
      : `Data folder growth: ${result.folderBytesPerMessage.toFixed(0)} bytes per message sent.`,
  ].join("\n");
}

/** The soak alone: runs it, then prints its report and writes it to results/. */
export async function soakOnly(
  { minutes, rate, pairs, make, cluster, stamp, progress }: {
    minutes: number;
    rate?: number;
    pairs: number;
    make: () => Promise<Target>;
    cluster: boolean;
    stamp: string;
    progress: (line: string) => void;
  },
): Promise<void> {
  const target = await make();
  let result: SoakResult;
  try {
    result = await soak(target, { pairs, minutes, rate, progress });
  } finally {
    await target.stop();
  }
  console.error("\r\x1b[K");
  const report = soakReport(
    result,
    `Soak: ${pairs} pairs, ${rate ? `${rate} msg/s` : "4 in flight per sender"}, ${minutes} min, ${
      cluster ? "cluster" : "embedded"
    }`,
  );
  console.log(report);
  await Deno.mkdir("results", { recursive: true });
  await Deno.writeTextFile(
    `results/soak-${stamp}.md`,
    `# Soak ${new Date().toISOString()}\n\n${report}\n`,
  );
}
