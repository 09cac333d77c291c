import { testStore } from "./_contract/mod.ts";
import { openPgliteStore } from "./pglite.ts";

testStore("PGlite", () => openPgliteStore({ dataDir: "memory://" }));
