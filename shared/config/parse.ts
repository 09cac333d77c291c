/** Reads the environment against the declaration in `variables.ts`. */
import { type RateLimit, type Values, type Variable, VARIABLES } from "./variables.ts";

/** The environment, as `Deno.env.toObject()` gives it. */
export type Env = Record<string, string | undefined>;

/** A configuration error naming the bad variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses one variable; unset or empty gives its default. Throws ConfigError naming it. */
export function parseVariable(
  name: string,
  variable: Variable,
  raw: string | undefined,
): number | string | string[] | RateLimit {
  switch (variable.type) {
    case "int": {
      if (raw === undefined || raw === "") return variable.default;
      const { min, max } = variable;
      const value = Number(raw);
      if (
        !/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max
      ) {
        throw new ConfigError(
          `Invalid ${name}="${raw}": expected an integer from ${min} to ${max}`,
        );
      }
      if (variable.powerOfTwo && (value & (value - 1)) !== 0) {
        throw new ConfigError(`Invalid ${name}="${value}": expected a power of two`);
      }
      return value;
    }
    case "string": {
      if (raw === undefined || raw === "") return variable.default;
      if (variable.pattern && !variable.pattern.test(raw)) {
        throw new ConfigError(`Invalid ${name}="${raw}": expected to match ${variable.pattern}`);
      }
      return raw;
    }
    case "list": {
      const text = raw === undefined || raw === "" ? variable.default : raw;
      if (text === "") return [];
      const items = text.split(",").map((item) => item.trim()).filter(Boolean);
      const bad = items.find((item) => !variable.pattern.test(item));
      if (items.length === 0 || bad !== undefined) {
        throw new ConfigError(
          `Invalid ${name}="${raw}": expected a comma-separated list matching ${variable.pattern}`,
        );
      }
      return items;
    }
    case "rate": {
      const text = raw === undefined || raw === "" ? variable.default : raw;
      const match = /^(\d{1,9})\/(\d{1,7})$/.exec(text.trim());
      if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
        throw new ConfigError(
          `Invalid ${name}="${text}": expected COUNT/SECONDS, such as 10/60 (10 a minute)`,
        );
      }
      return { burst: Number(match[1]), rate: Number(match[1]) / Number(match[2]) };
    }
  }
}

/** Parses every declared variable; refuses any `IM_*` variable that is not declared. */
export function parseEnv(env: Env): Values {
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(VARIABLES)) {
    values[name] = parseVariable(name, variable, env[name]);
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith("IM_") && !Object.hasOwn(VARIABLES, name)) {
      throw new ConfigError(`Unknown variable ${name}: see the configuration table in README.md`);
    }
  }
  return values as Values;
}
