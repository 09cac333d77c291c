/**
 * The store contracts on PostgreSQL, each test in a database of its own. Needs
 * `deno task infra:up`; runs when IM_CLUSTER_TESTS=1 (as in CI, where missing
 * infrastructure fails it).
 */
import { clusterTestsEnabled, freshDatabase } from "../../tests/infra.ts";
import { testStore } from "./_contract/mod.ts";
import { openPostgresStore } from "./postgres.ts";

testStore(
  "PostgreSQL",
  async () => openPostgresStore({ url: await freshDatabase(), poolSize: 4 }),
  { ignore: !clusterTestsEnabled() },
);
