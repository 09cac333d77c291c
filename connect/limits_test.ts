import assert from "node:assert/strict";
import { AddressLimit, originAllowed, upgradeRefusal, userLimitRefusal } from "./limits.ts";

function upgrade(headers: Record<string, string>): Request {
  return new Request("http://chat.example:8080/ws", {
    headers: { upgrade: "websocket", ...headers },
  });
}

Deno.test("originAllowed() lets in clients without an Origin and listed origins only", () => {
  assert.equal(originAllowed(upgrade({}), []), true, "no Origin: not a browser");
  assert.equal(originAllowed(upgrade({}), ["https://a.example"]), true);
  const listed = ["https://a.example"];
  assert.equal(originAllowed(upgrade({ origin: "https://a.example" }), listed), true);
  assert.equal(originAllowed(upgrade({ origin: "https://b.example" }), listed), false);
  assert.equal(
    originAllowed(upgrade({ origin: "https://chat.example", host: "chat.example" }), listed),
    false,
    "a list replaces the same-host rule",
  );
});

Deno.test("originAllowed() without a list wants the page's host to be the server's, any port", () => {
  const same = { origin: "http://chat.example:3000", host: "chat.example:8080" };
  assert.equal(originAllowed(upgrade(same), []), true);
  const other = { origin: "https://evil.example", host: "chat.example:8080" };
  assert.equal(originAllowed(upgrade(other), []), false);
  assert.equal(originAllowed(upgrade({ origin: "null", host: "chat.example" }), []), false);
  assert.equal(originAllowed(upgrade({ origin: "not a url", host: "chat.example" }), []), false);
  assert.equal(originAllowed(upgrade({ origin: "file:///page.html", host: "x" }), []), false);
});

Deno.test("AddressLimit is full at its cap until a socket of that address closes", () => {
  const limit = new AddressLimit(2);
  limit.take("10.0.0.1");
  assert.equal(limit.full("10.0.0.1"), false);
  limit.take("10.0.0.1");
  assert.equal(limit.full("10.0.0.1"), true);
  assert.equal(limit.full("10.0.0.2"), false, "other addresses have their own count");
  limit.release("10.0.0.1");
  assert.equal(limit.full("10.0.0.1"), false);
  limit.release("10.0.0.1");
  assert.equal(limit.count("10.0.0.1"), 0);
});

Deno.test("AddressLimit never counts the empty address (a Unix socket)", () => {
  const limit = new AddressLimit(1);
  limit.take("");
  limit.take("");
  assert.equal(limit.count(""), 0);
  assert.equal(limit.full(""), false);
});

Deno.test("upgradeRefusal() refuses an address at its cap first, then a foreign Origin", () => {
  const addresses = new AddressLimit(1);
  const evil = upgrade({ origin: "https://evil.example", host: "chat.example" });
  assert.equal(
    upgradeRefusal(evil, "10.0.0.1", { addresses, allowedOrigins: [] })?.code,
    "forbidden",
  );
  addresses.take("10.0.0.1");
  const capped = upgradeRefusal(evil, "10.0.0.1", { addresses, allowedOrigins: [] });
  assert.equal(capped?.code, "rate_limited");
  assert.equal(capped?.retryAfter, 10);
  assert.equal(capped?.message, "Too many connections from this address");
  const plain = upgrade({ host: "chat.example" });
  assert.equal(upgradeRefusal(plain, "10.0.0.2", { addresses, allowedOrigins: [] }), null);
});

Deno.test("userLimitRefusal() refuses once a user holds the most sessions allowed", () => {
  assert.equal(userLimitRefusal(0, 2), null);
  assert.equal(userLimitRefusal(1, 2), null);
  const refusal = userLimitRefusal(2, 2);
  assert.equal(refusal?.code, "rate_limited");
  assert.equal(refusal?.message, "Too many connections for this account (at most 2)");
});
