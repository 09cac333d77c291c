import { testPresenceNotices } from "./_contract.ts";
import { MemoryPresenceNotices } from "./memory.ts";

testPresenceNotices("MemoryPresenceNotices", () => Promise.resolve(new MemoryPresenceNotices()));
