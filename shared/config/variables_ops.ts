/** The variables of operating a process: its log lines and its metrics port. */
import type { Variable } from "./declaration.ts";

/** The variables of operating a process: its log lines and its metrics port. */
export const OPS_VARIABLES = {
  IM_LOG_FORMAT: {
    type: "string",
    default: "auto",
    shown: "`auto`: `pretty` on a terminal, else `json`",
    pattern: /^(auto|json|pretty)$/,
    example: "json",
    meaning: "log lines as JSON objects (one a line) or as readable text (shared/log.ts)",
    readBy: ["embedded", "api", "logic", "task", "connect"],
  },
  IM_LOG_LEVEL: {
    type: "string",
    default: "info",
    pattern: /^(debug|info|warn|error)$/,
    example: "debug",
    meaning:
      "the least level written; `debug` adds a line a message at every layer, with its trace id",
    readBy: ["embedded", "api", "logic", "task", "connect"],
  },
  IM_METRICS_FROM: {
    type: "list",
    default: "127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
    pattern: /^[0-9A-Fa-f:.]{2,39}(\/\d{1,3})?$/,
    example: "10.1.0.0/16,127.0.0.1",
    meaning:
      "address ranges that may read `/metrics` on the public HTTP port (others get 404); the default is loopback and private networks. Behind a reverse proxy on the same host every client looks local: block `/metrics` there",
    readBy: ["embedded", "api", "connect"],
  },
  IM_METRICS_PORT: {
    type: "int",
    default: 0,
    min: 0,
    max: 65535,
    shown: "`0`: a free port, printed at start",
    meaning:
      "logic and task: the HTTP port of `/metrics`, `/healthz` and `/readyz` (the other processes serve them on their HTTP port)",
    readBy: ["logic", "task"],
  },
} as const satisfies Record<`IM_${string}`, Variable>;
