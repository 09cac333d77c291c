/** Runs the admin tool (scripts/admin.ts) on a test server's data, as an operator would. */
import type { Server } from "./harness.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The operator the tests' admin actions are recorded under (`--by`). */
export const ADMIN_ACTOR = "e2e-operator";

/**
 * Runs `deno task admin <args>` on the server's data: its embedded folder
 * (`--data`), or a cluster's database (`--postgres`); its exit code and output.
 */
export async function runAdmin(
  server: Pick<Server, "dataDir" | "postgresUrl">,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const where = server.postgresUrl
    ? ["--postgres", server.postgresUrl]
    : ["--data", server.dataDir];
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/admin.ts", ...args, ...where, "--by", ADMIN_ACTOR],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: text(stdout), err: text(stderr) };
}
