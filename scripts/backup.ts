/**
 * `deno task backup FILE [--data DIR] [--force]`: a consistent backup of the
 * embedded server's data folder (DIR, default IM_DATA_DIR or ./data) into
 * FILE, taken while the server runs and serves (shared/store/backup.ts).
 * Restore it with `deno task restore FILE NEW_DIR`.
 * Exits 0 with the backup written, 2 when refusing (FILE exists without
 * --force, no store in DIR, bad arguments), 1 when the copy failed.
 */
import { parseArgs } from "node:util";
import { backupDataDir, summaryLines } from "../shared/store/backup.ts";
import { BackupRefusal } from "../shared/store/backup_file.ts";

const USAGE = "usage: deno task backup FILE [--data DIR] [--force]";

function options(): { file: string; dataDir: string; force: boolean } {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (positionals.length !== 1) throw new BackupRefusal(`Expected one FILE\n${USAGE}`);
  return {
    file: positionals[0],
    dataDir: values.data ?? Deno.env.get("IM_DATA_DIR") ?? "./data",
    force: values.force,
  };
}

try {
  const { file, dataDir, force } = options();
  const report = await backupDataDir({ dataDir, file, force });
  console.log(`im backup: ${dataDir} backed up`);
  for (const line of summaryLines(report)) console.log(line);
} catch (error) {
  // parseArgs throws a TypeError with a code for an unknown or malformed option.
  const usage = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  if (error instanceof BackupRefusal || usage) {
    console.error(`im backup: ${(error as Error).message}${usage ? `\n${USAGE}` : ""}`);
    Deno.exit(2);
  }
  console.error("im backup: the backup failed:", error);
  Deno.exit(1);
}
