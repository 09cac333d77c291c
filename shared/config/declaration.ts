/**
 * The shape of a variable's declaration: its type, default, range, meaning and
 * who reads it. The declarations themselves are in `variables_*.ts`, gathered
 * by `variables.ts`.
 */
/** A process of the server: the embedded mode, or one layer of a cluster. */
export type Process = "embedded" | "api" | "logic" | "task" | "connect";

/** Who reads a variable: a process, the infrastructure scripts (`scripts/`), or the tests. */
export type Reader = Process | "scripts" | "tests";

/** Every process, in the order the documentation lists them. */
export const PROCESSES: readonly Process[] = ["embedded", "api", "logic", "task", "connect"];

interface Common {
  /** What it sets, in a phrase for the README's table. */
  meaning: string;
  readBy: readonly Reader[];
  /** The default as the table shows it, when it is computed rather than fixed. */
  shown?: string;
}

/** One variable's declaration. */
export type Variable =
  & Common
  & (
    | { type: "int"; default: number; min: number; max: number; powerOfTwo?: true }
    /** Text, matching `pattern` when there is one; empty or unset gives the default. */
    | { type: "string"; default: string; pattern?: RegExp; example: string }
    /** Comma-separated items each matching `pattern`; an empty default gives `[]`. */
    | { type: "list"; default: string; pattern: RegExp; example: string }
    /** `COUNT/SECONDS`: COUNT at once, COUNT more every SECONDS. */
    | { type: "rate"; default: string }
  );

/** A token bucket: `burst` at once, refilled at `rate` per second. */
export interface RateLimit {
  rate: number;
  burst: number;
}

/** Patterns and reader lists the declarations share. */
export const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/;
export const EMBEDDED_LOGIC: Reader[] = ["embedded", "logic"];
export const EMBEDDED_CONNECT: Reader[] = ["embedded", "connect"];
export const LAYERS: Reader[] = ["api", "logic", "task", "connect"];
export const ENGINES: Reader[] = ["logic", "task"];
export const REDIS: Reader[] = ["logic", "task", "connect"];
export const INFRA: Reader[] = ["scripts", "tests"];
