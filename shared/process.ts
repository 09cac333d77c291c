/** What every process entry point shares: reading the configuration, and stopping on a signal. */
import { ConfigError, loadConfig, type Process, type ProcessConfigs } from "./config.ts";
import type { Registry } from "./registry/mod.ts";

/** Loads the configuration slice `process` reads, or exits with status 2 naming the bad variable. */
export function configOrExit<P extends Process>(process: P): Readonly<ProcessConfigs[P]> {
  try {
    return loadConfig(Deno.env.toObject(), process);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`im ${process}: ${error.message}`);
      Deno.exit(2);
    }
    throw error;
  }
}

/**
 * Stops this process gracefully (as SIGTERM does) when the registry re-claims a
 * worker id other than `workerId` after a lost lease: a name made from the old
 * id could now be another instance's.
 */
export function stopWhenWorkerIdChanges(
  registry: Pick<Registry, "watchWorkerId">,
  workerId: number,
  name: string,
): void {
  registry.watchWorkerId((claimed) => {
    if (claimed === null || claimed === workerId) return;
    console.error(`im ${name}: its worker id was taken while its lease was lost; stopping`);
    Deno.kill(Deno.pid, "SIGTERM");
  });
}

/** On SIGINT or SIGTERM runs `stop` once, then exits (0, or 1 if stopping failed). */
export function stopOnSignal(name: string, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = async (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`im ${name}: ${signal}: shutting down`);
    try {
      await stop();
      console.log(`im ${name}: stopped`);
      Deno.exit(0);
    } catch (error) {
      console.error(`im ${name}: shutdown failed:`, error);
      Deno.exit(1);
    }
  };
  Deno.addSignalListener("SIGINT", () => handler("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => handler("SIGTERM"));
}
