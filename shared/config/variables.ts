/**
 * The declaration of every `IM_*` variable: its type, default, range, meaning
 * and who reads it. `loadConfig()` validates from it, and
 * `scripts/config_docs.ts` writes README.md's configuration tables from it.
 * A variable is added here, once, or the server refuses it as unknown.
 */
import type { RateLimit } from "./declaration.ts";
import { CLUSTER_VARIABLES } from "./variables_cluster.ts";
import { OPS_VARIABLES } from "./variables_ops.ts";
import { SERVER_VARIABLES } from "./variables_server.ts";
import { TOOLING_VARIABLES } from "./variables_tooling.ts";

export { PROCESSES } from "./declaration.ts";
export type { Process, RateLimit, Reader, Variable } from "./declaration.ts";

/** Every `IM_*` variable, in the order of the README's tables. */
export const VARIABLES = {
  ...SERVER_VARIABLES,
  ...OPS_VARIABLES,
  ...CLUSTER_VARIABLES,
  ...TOOLING_VARIABLES,
};

/** The name of a declared variable. */
export type VariableName = keyof typeof VARIABLES;

type ValueOf<V> = V extends { type: "int" } ? number
  : V extends { type: "list" } ? string[]
  : V extends { type: "rate" } ? RateLimit
  : string;

/** Every variable's value, parsed. */
export type Values = { -readonly [K in VariableName]: ValueOf<(typeof VARIABLES)[K]> };
