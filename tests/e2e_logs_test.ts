/**
 * End-to-end: what the server prints is structured lines (JSON with IM_LOG_FORMAT=json, even at
 * debug level) that never hold a password, a token, a token hash or a message's text, whatever
 * the client does.
 */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import { hashToken } from "../shared/token_hash.ts";
import { befriend, startServer, uniqueName, waitFor } from "./harness.ts";

Deno.test(
  "the server's output: JSON lines at debug level, no password, token, token hash or message text",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const server = await startServer({ env: { IM_LOG_LEVEL: "debug", IM_LOG_FORMAT: "json" } });
    const secrets: string[] = [];
    // A text no line may hold; random, so it cannot be in the output by chance.
    const text = `private words ${crypto.randomUUID()}`;
    secrets.push(text);
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
      const arrived = waitFor(
        b,
        "message",
        (m) => m.content.type === "text" && m.content.text === text,
      );
      await a.send({ type: "user", id: b.self!.id }, { type: "text", text });
      await arrived;
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

    // Every line is a JSON object with the time, level, layer, instance and message.
    const lines = output.split("\n").filter((line) => line.trim() !== "");
    const malformed = lines.filter((line) => {
      try {
        const { time, level, layer, instance, message } = JSON.parse(line);
        return !(
          typeof time === "string" && !Number.isNaN(Date.parse(time)) &&
          ["debug", "info", "warn", "error"].includes(level) &&
          layer === "embedded" && typeof instance === "string" && instance !== "" &&
          typeof message === "string" && message !== ""
        );
      } catch {
        return true;
      }
    });
    assertEquals(malformed, [], "lines that are not the logger's JSON");
    // Debug lines were written: the message's own, with its id and trace.
    const accepted = lines.map((line) => JSON.parse(line))
      .filter((line) => line.message === "message accepted");
    assert(accepted.length > 0, "a `message accepted` line");
    assert(accepted.every((line) => line.level === "debug" && /^[0-9a-f]{32}$/.test(line.traceId)));
  },
);
