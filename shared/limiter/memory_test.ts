import { testRateLimiter } from "./_contract.ts";
import { MemoryRateLimiter } from "./memory.ts";

testRateLimiter("MemoryRateLimiter", () => {
  let now = 0;
  return Promise.resolve({
    limiter: new MemoryRateLimiter({ now: () => now }),
    advance: (ms: number) => Promise.resolve(void (now += ms)),
  });
});
