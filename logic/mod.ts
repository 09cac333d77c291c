/** The logic layer: every business rule, behind the LogicService interface. */
import type { LogicService } from "../shared/rpc/logic.ts";
import { accounts } from "./accounts.ts";
import { accountSettings } from "./account_settings.ts";
import { createContext, type LogicOptions } from "./context.ts";
import { friends } from "./friends.ts";
import { groups } from "./groups.ts";
import { media } from "./media.ts";
import { conversations } from "./conversations.ts";
import { sending } from "./send.ts";
import { typing } from "./typing.ts";

export type { LogicOptions } from "./context.ts";

/** Creates the logic service over its ports. */
export function createLogic(options: LogicOptions): LogicService {
  const ctx = createContext(options);
  const groupRules = groups(ctx);
  return {
    ...accounts(ctx),
    ...accountSettings(ctx, { leaveGroup: groupRules.leaveGroup }),
    ...friends(ctx),
    ...groupRules,
    ...sending(ctx),
    ...conversations(ctx),
    ...media(ctx),
    ...typing(ctx),
    async ready() {
      await Promise.all([ctx.store.ping(), ctx.log.ping(), ctx.dedupe.ping(), ctx.limiter.ping()]);
    },
  };
}
