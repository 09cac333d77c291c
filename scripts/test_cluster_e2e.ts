/**
 * Runs the end-to-end suite again, unchanged, against a cluster (IM_E2E_MODE=cluster)
 * when IM_CLUSTER_TESTS=1 (the infrastructure of `deno task infra:up` must be up) or
 * IM_HA_TESTS=1 (that of `deno task infra:up --ha`: every engine clustered).
 * Without either it says so and does nothing.
 *
 * IM_CLUSTER_SUITES picks what runs: `api` (the protocol's suites), `browser` (the web client's
 * main flow, and its search, whose index is the engine's own; the other browser suites test the
 * page itself, the same in both modes, and run embedded only), `all` (the default) or `none`.
 */
const API_SUITES = [
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
const BROWSER_SUITES = [
  "tests/web_client.browser.ts",
  "tests/web_search.browser.ts",
];

const ha = Deno.env.get("IM_HA_TESTS") === "1";
if (Deno.env.get("IM_CLUSTER_TESTS") !== "1" && !ha) {
  console.log(
    "cluster e2e: not run (run `deno task infra:up` and set IM_CLUSTER_TESTS=1, " +
      "or `deno task infra:up --ha` and set IM_HA_TESTS=1)",
  );
  Deno.exit(0);
}
const which = Deno.env.get("IM_CLUSTER_SUITES") || "all";
if (which === "none") {
  console.log("cluster e2e: not run (IM_CLUSTER_SUITES=none)");
  Deno.exit(0);
}
const suites = which === "api"
  ? API_SUITES
  : which === "browser"
  ? BROWSER_SUITES
  : which === "all"
  ? [...API_SUITES, ...BROWSER_SUITES]
  : null;
if (suites === null) {
  console.error(
    `IM_CLUSTER_SUITES must be api, browser, all or none, not ${JSON.stringify(which)}`,
  );
  Deno.exit(2);
}
console.log(`cluster e2e on the ${ha ? "HA" : "single-node"} engines: ${which} suites`);
const { code } = await new Deno.Command(Deno.execPath(), {
  // `deno task ok` type-checked every file already and says so (TEST_CHECK_FLAG=--no-check).
  args: [
    "test",
    ...(Deno.env.get("TEST_CHECK_FLAG") === "--no-check" ? ["--no-check"] : []),
    "--allow-all",
    ...suites,
  ],
  env: { IM_E2E_MODE: "cluster" },
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
