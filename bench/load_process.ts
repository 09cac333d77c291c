/**
 * A load process of the cluster scenarios (bench/conn_load.ts, bench/large_group_load.ts): a Deno
 * child given a plan file, told commands a line each on its stdin, reporting JSON lines (each
 * with an `event`) on its stdout, which are kept until taken.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A running load process reporting `R`s. */
export interface LoadProcess<R extends { event: string }> {
  child: Deno.ChildProcess;
  /** Lines it printed, parsed, waiting to be taken. */
  reports: R[];
  send(command: string): Promise<void>;
  /** The next report of this kind, taken; throws once `timeoutMs` passed or the process exited. */
  next<E extends R["event"]>(event: E, timeoutMs?: number): Promise<Extract<R, { event: E }>>;
  /** Tells it to quit, and kills it if it has not within 5 s. */
  stop(): Promise<void>;
}

/** Starts `bench/<script>` on the plan at `planPath`; `next` waits `timeoutMs` by default. */
export function startLoadProcess<R extends { event: string }>(
  script: string,
  planPath: string,
  { timeoutMs: defaultTimeoutMs }: { timeoutMs: number },
): LoadProcess<R> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}bench/${script}`, planPath],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reports: R[] = [];
  let exited = false;
  (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.startsWith("{")) reports.push(JSON.parse(line));
      }
    }
    exited = true;
  })();
  const writer = child.stdin.getWriter();
  const send = (command: string) => writer.write(new TextEncoder().encode(`${command}\n`));
  return {
    child,
    reports,
    send,
    async next(event, timeoutMs = defaultTimeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const i = reports.findIndex((r) => r.event === event);
        if (i >= 0) return reports.splice(i, 1)[0] as never;
        if (exited) throw new Error(`a load process exited before its ${event} report`);
        await sleep(20);
      }
      throw new Error(`no ${event} report from a load process in ${timeoutMs} ms`);
    },
    async stop() {
      try {
        await send("quit");
      } catch { /* gone */ }
      await Promise.race([child.status, sleep(5000)]);
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    },
  };
}
