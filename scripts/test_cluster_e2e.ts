/**
 * Runs the end-to-end suite again, unchanged, against a cluster (IM_E2E_MODE=cluster)
 * when IM_CLUSTER_TESTS=1; the infrastructure of `deno task infra:up` must be up.
 * Without IM_CLUSTER_TESTS it says so and does nothing.
 */
const SUITES = [
  "tests/e2e_accounts_test.ts",
  "tests/e2e_messages_test.ts",
  "tests/e2e_messages_v2_test.ts",
  "tests/e2e_bad_input_test.ts",
  "tests/e2e_authz_test.ts",
  "tests/e2e_friends_test.ts",
  "tests/e2e_groups_v2_test.ts",
  "tests/e2e_blocks_test.ts",
  "tests/e2e_search_test.ts",
  "tests/e2e_conversation_settings_test.ts",
  "tests/e2e_admin_test.ts",
];
// Every browser suite runs against the cluster too.
for (const entry of Deno.readDirSync("tests")) {
  if (entry.name.endsWith(".browser.ts")) SUITES.push(`tests/${entry.name}`);
}

if (Deno.env.get("IM_CLUSTER_TESTS") !== "1") {
  console.log("cluster e2e: not run (run `deno task infra:up`, then set IM_CLUSTER_TESTS=1)");
  Deno.exit(0);
}
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", ...SUITES],
  env: { IM_E2E_MODE: "cluster" },
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
