/**
 * What every process entry point shares: reading the configuration and setting up the log lines
 * from it, and stopping on a signal.
 */
import { ConfigError, loadConfig, type Process, type ProcessConfigs } from "./config.ts";
import { configureLogging, logger } from "./log.ts";
import type { Registry } from "./registry/mod.ts";

const log = logger();

/**
 * Loads the configuration slice `process` reads and configures the log lines from it (format,
 * level, and `process` as their layer; the entry point sets the instance once it is known), or
 * exits with status 2 naming the bad variable.
 */
export function configOrExit<P extends Process>(process: P): Readonly<ProcessConfigs[P]> {
  configureLogging({ layer: process });
  let config: Readonly<ProcessConfigs[P]>;
  try {
    config = loadConfig(Deno.env.toObject(), process);
  } catch (error) {
    if (error instanceof ConfigError) {
      log.error(error.message);
      Deno.exit(2);
    }
    throw error;
  }
  configureLogging({ format: config.ops.logFormat, level: config.ops.logLevel });
  return config;
}

/**
 * Stops this process gracefully (as SIGTERM does) when the registry re-claims a
 * worker id other than `workerId` after a lost lease: a name made from the old
 * id could now be another instance's.
 */
export function stopWhenWorkerIdChanges(
  registry: Pick<Registry, "watchWorkerId">,
  workerId: number,
): void {
  registry.watchWorkerId((claimed) => {
    if (claimed === null || claimed === workerId) return;
    log.error("its worker id was taken while its lease was lost; stopping", {
      workerId,
      claimed,
    });
    Deno.kill(Deno.pid, "SIGTERM");
  });
}

/** On SIGINT or SIGTERM runs `stop` once, then exits (0, or 1 if stopping failed). */
export function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = async (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    try {
      await stop();
      log.info("stopped");
      Deno.exit(0);
    } catch (error) {
      log.error("shutdown failed", { error });
      Deno.exit(1);
    }
  };
  Deno.addSignalListener("SIGINT", () => handler("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => handler("SIGTERM"));
}
