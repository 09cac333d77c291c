/** A server process's resident memory and CPU time, sampled so garbage collection does not mislead. */
import { residentBytes } from "../tests/harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resident memory (KB) and CPU seconds of a process; the CPU time from /proc/<pid>/stat in clock
 * ticks (through `cat`, since Deno reads another process's /proc only with --allow-all), else
 * from `ps` in whole seconds.
 */
export async function processStats(pid: number): Promise<{ rssKb: number; cpuSeconds: number }> {
  const rssKb = (await residentBytes(pid)) / 1024;
  const stat = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
    .output();
  const fields = new TextDecoder().decode(stat.stdout).split(") ")[1]?.split(" ") ?? [];
  // utime and stime, fields 14 and 15 of the line, in ticks of 1/100 s (USER_HZ).
  if (stat.success && fields.length > 12) {
    return { rssKb, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  }
  const { stdout } = await new Deno.Command("ps", { args: ["-o", "cputimes=", "-p", String(pid)] })
    .output();
  return { rssKb, cpuSeconds: Number(new TextDecoder().decode(stdout).trim()) };
}

/** The median of values. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

/** `count` RSS samples of a process, `everyMs` apart: their median and spread (bytes). */
export async function sampleResident(
  pid: number,
  { count = 7, everyMs = 250 }: { count?: number; everyMs?: number } = {},
): Promise<{ median: number; spread: number }> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(everyMs);
    samples.push(await residentBytes(pid));
  }
  return { median: median(samples), spread: Math.max(...samples) - Math.min(...samples) };
}
