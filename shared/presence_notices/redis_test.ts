/**
 * The PresenceNotices contract on the Redis of `deno task infra:up` (IM_CLUSTER_TESTS=1), and on
 * a Redis Cluster when IM_TEST_REDIS_CLUSTER names its nodes (comma-separated `redis://` URLs).
 */
import { Cluster, Redis } from "ioredis";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../../tests/infra.ts";
import { testPresenceNotices } from "./_contract.ts";
import type { PresenceNotices } from "./mod.ts";
import { RedisPresenceNotices } from "./redis.ts";

/** Notices over `redis` under a fresh prefix; closing them disconnects it. */
function over(redis: Redis | Cluster): Promise<PresenceNotices> {
  const notices = new RedisPresenceNotices({ redis, prefix: `test:${uniqueSuffix()}:` });
  return Promise.resolve({
    online: (userId) => notices.online(userId),
    onlineUntold: (userId) => notices.onlineUntold(userId),
    offline: (userId, at, due) => notices.offline(userId, at, due),
    takeOffline: (now, limit, leaseMs) => notices.takeOffline(now, limit, leaseMs),
    toldOffline: (userId, lease) => notices.toldOffline(userId, lease),
    groupChanged: (groupId, userIds, now, windowMs) =>
      notices.groupChanged(groupId, userIds, now, windowMs),
    groupSent: (groupId, now, windowMs) => notices.groupSent(groupId, now, windowMs),
    markChanged: (groupId, userIds) => notices.markChanged(groupId, userIds),
    takeChanged: (groupId) => notices.takeChanged(groupId),
    updateCount: (groupId, online, offline, now) =>
      notices.updateCount(groupId, online, offline, now),
    resetCount: (groupId, online, now, ttlMs) => notices.resetCount(groupId, online, now, ttlMs),
    takeGroups: (now, windowMs, limit) => notices.takeGroups(now, windowMs, limit),
    close: async () => {
      await notices.close();
      redis.disconnect();
    },
  });
}

testPresenceNotices(
  "RedisPresenceNotices",
  () => over(new Redis(INFRA.redis, { maxRetriesPerRequest: 1 })),
  { ignore: !clusterTestsEnabled() },
);

const clusterNodes = Deno.env.get("IM_TEST_REDIS_CLUSTER") ?? "";
testPresenceNotices(
  "RedisPresenceNotices on a Redis Cluster",
  () =>
    over(
      new Cluster(
        clusterNodes.split(",").map((url) => {
          const { hostname, port } = new URL(url);
          return { host: hostname, port: Number(port) };
        }),
      ),
    ),
  { ignore: clusterNodes === "" },
);
