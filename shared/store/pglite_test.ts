import { testStore } from "./_contract.ts";
import { openPgliteStore } from "./pglite.ts";

testStore("PgliteStore", () => openPgliteStore({ dataDir: "memory://" }));
