import { testDedupe } from "./_contract.ts";
import { MemoryDedupe } from "./memory.ts";

testDedupe("MemoryDedupe", () => Promise.resolve(new MemoryDedupe()));
