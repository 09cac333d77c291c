import { testRateLimiter } from "./_contract.ts";
import { MemoryRateLimiter } from "./memory.ts";

testRateLimiter("MemoryRateLimiter", () => Promise.resolve(new MemoryRateLimiter()));
