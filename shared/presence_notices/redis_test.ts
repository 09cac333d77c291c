/** The PresenceNotices contract on the Redis of `deno task infra:up` (IM_CLUSTER_TESTS=1). */
import { Redis } from "ioredis";
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../../tests/infra.ts";
import { testPresenceNotices } from "./_contract.ts";
import { RedisPresenceNotices } from "./redis.ts";

testPresenceNotices("RedisPresenceNotices", () => {
  const redis = new Redis(INFRA.redis, { maxRetriesPerRequest: 1 });
  const notices = new RedisPresenceNotices({ redis, prefix: `test:${uniqueSuffix()}:` });
  return Promise.resolve({
    online: (userId) => notices.online(userId),
    offline: (userId, at, due) => notices.offline(userId, at, due),
    takeOffline: (now, limit, leaseMs) => notices.takeOffline(now, limit, leaseMs),
    toldOffline: (userId, lease) => notices.toldOffline(userId, lease),
    groupChanged: (groupId, now, windowMs) => notices.groupChanged(groupId, now, windowMs),
    takeGroups: (now, windowMs, limit) => notices.takeGroups(now, windowMs, limit),
    close: async () => {
      await notices.close();
      redis.disconnect();
    },
  });
}, { ignore: !clusterTestsEnabled() });
