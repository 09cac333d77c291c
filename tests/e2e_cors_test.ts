/** End-to-end: CORS grants go only to the origins configured in IM_CORS_ORIGINS. */
import { assertEquals } from "./assert.ts";
import { newUser, startServer } from "./harness.ts";

Deno.test(
  "CORS: a configured origin gets grants and preflights; any other origin gets none",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const server = await startServer({ env: { IM_CORS_ORIGINS: "https://app.example" } });
    try {
      const a = await newUser(server.url, { connect: false });
      const preflight = await fetch(`${server.url}/api/me`, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "PATCH",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      await preflight.body?.cancel();
      assertEquals(preflight.status, 204);
      assertEquals(preflight.headers.get("access-control-allow-origin"), "https://app.example");
      assertEquals(
        preflight.headers.get("access-control-allow-headers"),
        "authorization, content-type",
      );
      const me = await fetch(`${server.url}/api/me`, {
        headers: { origin: "https://app.example", authorization: `Bearer ${a.token}` },
      });
      await me.body?.cancel();
      assertEquals([me.status, me.headers.get("access-control-allow-origin")], [
        200,
        "https://app.example",
      ]);
      const evil = await fetch(`${server.url}/api/me`, {
        headers: { origin: "https://evil.example", authorization: `Bearer ${a.token}` },
      });
      await evil.body?.cancel();
      assertEquals(evil.headers.get("access-control-allow-origin"), null);
    } finally {
      await server.stop();
    }
  },
);
