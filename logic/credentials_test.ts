import { assert, assertEquals } from "../tests/assert.ts";
import { hashToken } from "../shared/token_hash.ts";
import {
  hashPassword,
  isTokenShaped,
  newMediaId,
  newToken,
  verifyPassword,
} from "./credentials.ts";

Deno.test("hashPassword() salts, and verifyPassword() accepts only the password", async () => {
  const a = await hashPassword("correct horse", 1024);
  const b = await hashPassword("correct horse", 1024);
  assert(a !== b, "salted");
  assert(a.startsWith("scrypt$1024$8$1$"));
  assertEquals(await verifyPassword("correct horse", a), true);
  assertEquals(await verifyPassword("correct horsE", a), false);
  assertEquals(await verifyPassword("x", "garbage"), false);
});

Deno.test("newToken() is 256 random bits; only its hash is stored", async () => {
  const tokens = new Set(Array.from({ length: 100 }, newToken));
  assertEquals(tokens.size, 100);
  const token = [...tokens][0];
  assert(isTokenShaped(token));
  assertEquals(isTokenShaped("short"), false);
  const hash = await hashToken(token);
  assertEquals(hash.length, 64);
  assert(!hash.includes(token));
  assertEquals(newMediaId().length, 24);
});
