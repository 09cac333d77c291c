/** End-to-end: send rate limits over HTTP and WebSocket, on a server with a tight limit. */
import { assertEquals, assertRejects } from "./assert.ts";
import { ImError } from "../client/mod.ts";
import { befriend, newUser, startServer, waitFor } from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "sends over the rate get rate_limited with Retry-After; persisting closes with 4429",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-limits-" });
    const server = await startServer({ dataDir, env: { IM_SEND_RATE: "1", IM_SEND_BURST: "3" } });
    try {
      const a = await newUser(server.url);
      const b = await newUser(server.url);
      await befriend(a, b);
      const to = { type: "user" as const, id: b.self!.id };
      const text = { type: "text" as const, text: "spam" };
      for (let i = 0; i < 3; i++) await a.send(to, text);
      const error = await assertRejects(
        () => a.postMessage(to, text, "over-1"),
        ImError,
      ) as ImError;
      assertEquals([error.status, error.code], [429, "rate_limited"]);
      assertEquals(error.retryAfter! >= 1, true);
      const wsError = await assertRejects(() => a.send(to, text, "over-2"), ImError) as ImError;
      assertEquals(wsError.code, "rate_limited");

      const closed = waitFor(a, "closed");
      for (let i = 0; i < 25; i++) a.send(to, text, `flood-${i}`).catch(() => {});
      assertEquals((await closed).code, 4429);
      await b.close();
    } finally {
      await server.stop("SIGKILL");
    }
  },
);
