/**
 * End-to-end, embedded mode: sign-ins refused by the address limit, each for a
 * new 250-character username, leave the server's resident memory within a bound.
 * TEST_REFUSED_SIGN_INS sets how many (default 90,000).
 */
import { assert } from "./assert.ts";
import { residentBytes, startServer } from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const COUNT = Number(Deno.env.get("TEST_REFUSED_SIGN_INS") ?? 90_000);
/** Growth allowed: what handling requests leaves, well below a bucket each (35 MB for 90,000). */
const BOUND_MB = 20;

async function residentMb(pid: number): Promise<number> {
  return await residentBytes(pid) / 2 ** 20;
}

Deno.test(
  "refused sign-ins with unique long usernames leave resident memory within a bound",
  { ...opts, ignore: Deno.build.os !== "linux" },
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-limiter-memory-" });
    // A small young generation, so garbage of handled requests does not hide what lasts.
    const server = await startServer({
      dataDir,
      env: { IM_RATE_LOGIN_ADDRESS: "10/3600" },
      denoFlags: ["--v8-flags=--max-semi-space-size=1"],
    });
    try {
      const pid = server.process!.pid;
      const attempt = async (i: number) => {
        const response = await fetch(`${server.url}/api/auth/login`, {
          method: "POST",
          body: JSON.stringify({ username: `${i}`.padStart(250, "u"), password: "whatever1" }),
        });
        await response.body?.cancel();
        return response.status;
      };
      let next = 0;
      let refused = 0;
      const flood = (until: number) =>
        Promise.all(Array.from({ length: 32 }, async () => {
          while (next < until) if (await attempt(next++) === 429) refused++;
        }));
      // A first third warms up: the address's ten attempts, and a heap grown to a steady size.
      await flood(COUNT / 3);
      const before = await residentMb(pid);
      refused = 0;
      await flood(COUNT + COUNT / 3);
      const after = await residentMb(pid);
      const grew = after - before;
      console.log(
        `${refused} refused sign-ins: resident ${before.toFixed(0)} MB -> ${after.toFixed(0)} MB ` +
          `(${grew >= 0 ? "+" : ""}${grew.toFixed(1)} MB)`,
      );
      assert(refused === COUNT, `${refused} of ${COUNT} refused`);
      assert(grew < BOUND_MB, `resident memory grew by ${grew.toFixed(1)} MB`);
    } finally {
      await server.stop("SIGKILL");
    }
  },
);
