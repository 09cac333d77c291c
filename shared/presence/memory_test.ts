import { testPresence } from "./_contract.ts";
import { MemoryPresence } from "./memory.ts";

testPresence("MemoryPresence", () => Promise.resolve(new MemoryPresence()));
