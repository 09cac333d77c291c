/** Turning Redis driver failures into the protocol's `unavailable`. */
import { AppError } from "./errors.ts";

/** Runs a Redis call; a failure becomes `unavailable`. */
export async function redisCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("unavailable", `Redis is unavailable (${what})`, { cause: error });
  }
}
