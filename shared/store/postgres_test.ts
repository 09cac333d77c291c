/**
 * The store contract on PostgreSQL. Needs `deno task infra:up`; runs when
 * IM_CLUSTER_TESTS=1 (as in CI, where missing infrastructure fails it).
 */
import { clusterTestsEnabled, freshDatabase } from "../../tests/infra.ts";
import { testStore } from "./_contract.ts";
import { openPostgresStore } from "./postgres.ts";

testStore(
  "PostgresStore",
  async () => openPostgresStore({ url: await freshDatabase(), poolSize: 4 }),
  {
    ignore: !clusterTestsEnabled(),
  },
);
