/** The little an SQL engine must offer the SQL store; PGlite and postgres.js each wrap theirs. */
export interface SqlDriver {
  /** Runs one statement with `$n` parameters; int8 columns come back as decimal strings. */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `fn` inside one transaction, committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters. */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}
