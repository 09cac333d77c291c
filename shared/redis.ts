/** The Redis connection of a cluster process, configured the same way in every layer. */
import { Redis } from "ioredis";

/** Connects to Redis; commands issued in one tick go out in one write. */
export function connectRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 2,
    // A batch of sends issues its dedupe gets, rate limits and claims together,
    // and task its route lookups: pipelined, they cost one write and one read
    // instead of one per command (socket writes were a quarter of logic's CPU).
    enableAutoPipelining: true,
  });
}
