import { testStore } from "./_contract/mod.ts";
import { openPgliteStore } from "./pglite.ts";

testStore(
  "PGlite (the engine of data folders before SQLite)",
  () => openPgliteStore({ dataDir: "memory://" }),
);
