/** End-to-end: what the server prints never holds a password or a token, whatever the client does. */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import { hashToken } from "../shared/token_hash.ts";
import { befriend, startServer, uniqueName } from "./harness.ts";

Deno.test(
  "the server's output holds no password, token or token hash after a run of good and bad calls",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const server = await startServer();
    const secrets: string[] = [];
    try {
      const passwords = ["first secret password", "second secret password", "wrong secret guess"];
      secrets.push(...passwords);
      const a = new ImClient({ baseUrl: server.url });
      const b = new ImClient({ baseUrl: server.url });
      const [nameA, nameB] = [uniqueName("logs"), uniqueName("logs")];
      secrets.push((await a.register(nameA, passwords[0])).token);
      secrets.push((await b.register(nameB, passwords[1])).token);
      await a.login(nameA, passwords[2]).catch(() => {});
      const again = await a.login(nameA, passwords[0]);
      secrets.push(again.token);
      await Promise.all([a.connect(), b.connect()]);
      await befriend(a, b);
      await a.send({ type: "user", id: b.self!.id }, { type: "text", text: "hello" });
      // Bad calls: a forged token over HTTP and WebSocket, garbage bodies, a revoked token.
      const forged = "A".repeat(43);
      secrets.push(forged);
      await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${forged}` } })
        .then((r) => r.body?.cancel());
      await fetch(`${server.url}/api/auth/login`, {
        method: "POST",
        body: `{"username":"${nameA}","password":"${passwords[0]}",`,
      }).then((r) => r.body?.cancel());
      const ws = new WebSocket(await a.connectUrl());
      await new Promise((resolve) => ws.onopen = resolve);
      ws.send(JSON.stringify({ op: "auth", token: forged }));
      await new Promise((resolve) => ws.onclose = resolve);
      const c = new ImClient({ baseUrl: server.url, token: again.token });
      await c.logout();
      await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${again.token}` } })
        .then((r) => r.body?.cancel());
      await Promise.all([a.close(), b.close()]);
      for (const token of [...secrets.slice(3)]) secrets.push(await hashToken(token));
    } finally {
      await server.stop("SIGTERM");
    }
    const output = server.output.join("");
    assert(output.length > 0, "the server printed something");
    const leaked = secrets.filter((secret) => output.includes(secret));
    assertEquals(leaked, [], "secrets in the server's output");
  },
);
