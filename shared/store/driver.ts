/** The little an SQL engine must offer the SQL store; PGlite, postgres.js and node:sqlite each wrap theirs. */
export interface SqlDriver {
  /**
   * Which SQL the engine speaks. The ports write PostgreSQL; the SQLite driver
   * translates the few constructs they use (sqlite.ts), and the statements
   * nothing translates have a second text chosen by this.
   */
  readonly dialect: "postgres" | "sqlite";
  /** Runs one statement with `$n` parameters; int8 columns come back as decimal strings. */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `fn` inside one transaction, committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters. */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/** One session of an engine that runs a statement at a time: what `oneSession()` needs. */
export interface SessionEngine {
  readonly dialect: SqlDriver["dialect"];
  query(text: string, params: readonly unknown[]): Promise<unknown[]>;
  exec(text: string): Promise<void>;
  /** The statement that opens a transaction. */
  readonly begin: string;
  close(): Promise<void>;
}

/**
 * A driver over an engine's one session. Statements go to the engine as they
 * come, except while a transaction is open: then only the transaction's own
 * statements go, and the others wait for its end (they would run inside it).
 */
export function oneSession(engine: SessionEngine): SqlDriver {
  let open: Promise<void> | null = null;
  const outside = async <T>(run: () => Promise<T>): Promise<T> => {
    while (open) await open;
    return await run();
  };
  const tx: SqlDriver = {
    dialect: engine.dialect,
    async query<T>(text: string, params: readonly unknown[] = []) {
      return await engine.query(text, params) as T[];
    },
    transaction: (fn) => fn(tx),
    exec: (text) => engine.exec(text),
    close: () => Promise.resolve(),
  };
  return {
    dialect: engine.dialect,
    query: (text, params) => outside(() => tx.query(text, params)),
    exec: (text) => outside(() => tx.exec(text)),
    async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
      while (open) await open;
      let end!: () => void;
      open = new Promise((resolve) => end = resolve);
      try {
        await engine.exec(engine.begin);
        try {
          const result = await fn(tx);
          await engine.exec("COMMIT");
          return result;
        } catch (error) {
          await engine.exec("ROLLBACK").catch(() => {});
          throw error;
        }
      } finally {
        open = null;
        end();
      }
    },
    close: () => outside(() => engine.close()),
  };
}
