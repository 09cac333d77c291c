import { testPresenceNotices } from "./_notices_contract.ts";
import { MemoryPresenceNotices } from "./notices_memory.ts";

testPresenceNotices("MemoryPresenceNotices", () => Promise.resolve(new MemoryPresenceNotices()));
