import { testStatusQueue } from "./_contract.ts";
import { MemoryStatusQueue } from "./memory.ts";

testStatusQueue(
  "MemoryStatusQueue",
  () => Promise.resolve(new MemoryStatusQueue({ onError: () => {}, retryMs: 10 })),
);
