import { assertEquals, assertThrows } from "../tests/assert.ts";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() gives the embedded defaults", () => {
  const config = loadConfig({});
  assertEquals(config.http.port, 8080);
  assertEquals(config.dataDir, "./data");
  assertEquals(config.connect.redeliverMs, 30_000);
  assertEquals(config.connect.buckets, 32);
  assertEquals(config.limits.textMax, 4000);
  assertEquals(Object.isFrozen(config.limits), true);
});

Deno.test("loadConfig() reads variables and fails naming the bad one", () => {
  assertEquals(loadConfig({ IM_HTTP_PORT: "0", IM_CONNECT_BUCKETS: "8" }).connect.buckets, 8);
  for (
    const [name, value] of [
      ["IM_HTTP_PORT", "eighty"],
      ["IM_HTTP_PORT", "70000"],
      ["IM_REDELIVER_MS", "1.5"],
      ["IM_CONNECT_BUCKETS", "0"],
      ["IM_SCRYPT_COST", "1000"],
      ["IM_SERVER_ID", "has space"],
    ]
  ) {
    const error = assertThrows(() => loadConfig({ [name]: value }));
    assertEquals(error instanceof ConfigError && error.message.includes(name), true, name);
  }
  const unknown = assertThrows(() => loadConfig({ IM_HTTP_PROT: "1" }));
  assertEquals(unknown.message.includes("IM_HTTP_PROT"), true);
});
