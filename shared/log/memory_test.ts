import { testMessageLog } from "./_contract.ts";
import { MemoryLog } from "./memory.ts";

testMessageLog(
  "MemoryLog",
  () => Promise.resolve(new MemoryLog({ retryMs: 10, onError: () => {} })),
);
