/**
 * `deno task restore FILE DIR`: restores a backup that `deno task backup`
 * wrote into DIR, a new or empty data folder (a restore never overwrites
 * data), after checking that FILE is a sound backup of ours from this version
 * or an older one (shared/store/backup.ts). Then start the server with
 * IM_DATA_DIR=DIR: it applies the migrations newer than the backup itself.
 * Exits 0 with the store written, 2 when refusing (DIR not empty, FILE not a
 * backup or from a newer server, bad arguments), 1 when the copy failed.
 */
import { parseArgs } from "node:util";
import { restoreBackup, summaryLines } from "../shared/store/backup.ts";
import { BackupRefusal } from "../shared/store/backup_file.ts";

const USAGE = "usage: deno task restore FILE DIR";

function options(): { file: string; dataDir: string } {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (positionals.length !== 2) throw new BackupRefusal(`Expected FILE and DIR\n${USAGE}`);
  return { file: positionals[0], dataDir: positionals[1] };
}

try {
  const { file, dataDir } = options();
  const report = await restoreBackup({ file, dataDir });
  console.log(`im restore: ${file} restored into ${dataDir}`);
  for (const line of summaryLines(report)) console.log(line);
  console.log(`Start the server with IM_DATA_DIR=${dataDir} (it applies newer migrations itself).`);
} catch (error) {
  // parseArgs throws a TypeError with a code for an unknown or malformed option.
  const usage = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  if (error instanceof BackupRefusal || usage) {
    console.error(`im restore: ${(error as Error).message}${usage ? `\n${USAGE}` : ""}`);
    Deno.exit(2);
  }
  console.error("im restore: the restore failed:", error);
  Deno.exit(1);
}
