/** The logic layer: every business rule, behind the LogicService interface. */
import type { LogicService } from "../shared/rpc/logic.ts";
import { accounts } from "./accounts.ts";
import { pollAdminActions } from "./admin.ts";
import { accountSettings } from "./account_settings.ts";
import { blocks } from "./blocks.ts";
import { createContext, type LogicOptions } from "./context.ts";
import { friends } from "./friends.ts";
import { groups } from "./groups.ts";
import { media } from "./media.ts";
import { conversations } from "./conversations.ts";
import { conversationSettings } from "./conversation_settings.ts";
import { messageUpdates } from "./message_updates.ts";
import { search } from "./search.ts";
import { sending } from "./send.ts";
import { typing } from "./typing.ts";

export type { LogicOptions, Timers } from "./context.ts";

/**
 * The logic service of this process; `close()` clears its timers (receipts still
 * waiting are dropped) and stops applying admin actions.
 */
export interface Logic extends LogicService {
  close(): void;
}

/** Creates the logic service over its ports. */
export function createLogic(options: LogicOptions): Logic {
  const ctx = createContext(options);
  const groupRules = groups(ctx);
  const { close, ...conversationRules } = conversations(ctx);
  const { admin } = ctx.store;
  const adminPoll = admin ? pollAdminActions({ ...ctx, store: { ...ctx.store, admin } }) : null;
  return {
    ...accounts(ctx),
    ...accountSettings(ctx, { leaveGroup: groupRules.leaveGroup }),
    ...friends(ctx),
    ...blocks(ctx),
    ...groupRules,
    ...sending(ctx),
    ...conversationRules,
    ...conversationSettings(ctx),
    ...search(ctx),
    ...messageUpdates(ctx),
    ...media(ctx),
    ...typing(ctx),
    async ready() {
      await Promise.all([ctx.store.ping(), ctx.log.ping(), ctx.dedupe.ping(), ctx.limiter.ping()]);
    },
    close() {
      adminPoll?.stop();
      close();
    },
  };
}
