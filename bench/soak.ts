/**
 * The soak scenario: friend pairs send at a steady rate for minutes on end,
 * and the resident memory of every server process is sampled. Memory must not
 * grow with the messages sent: the figure is the resident memory at the end
 * against its value after the first minute.
 */
import { drive, friendPairs, processStats } from "./scenarios.ts";
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

  const end = samples.at(-1)?.seconds ?? 0;
  return {
    samples,
    firstMinuteKb: medianRss(samples.filter((s) => s.seconds >= 60 && s.seconds <= 120)),
    endKb: medianRss(samples.filter((s) => s.seconds > end - 60)),
    messagesPerSec: total / (minutes * 60),
  };
}
