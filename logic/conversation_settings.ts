/** A user's own settings of a conversation: pinned, muted, hidden (PROTOCOL.md, Conversations). */
import { AppError } from "../shared/errors.ts";
import type { SettingsPatch } from "../shared/store/mod.ts";
import type { ConversationSummary } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { toSummary } from "./conversations.ts";
import { participant } from "./participation.ts";
import { object } from "./validate.ts";
import { groupView, userView } from "./views.ts";

const FIELDS = ["pinned", "muted", "hidden"] as const;

/** A body of `PATCH /api/conversations/<id>`: at least one of the fields, each a boolean. */
function settingsPatch(input: unknown): SettingsPatch {
  const body = object(input, FIELDS);
  const patch: SettingsPatch = {};
  for (const field of FIELDS) {
    if (!Object.hasOwn(body, field)) continue;
    const value = body[field];
    if (typeof value !== "boolean") {
      throw new AppError("invalid_argument", `Invalid ${field}: expected true or false`);
    }
    patch[field] = value;
  }
  if (Object.keys(patch).length === 0) {
    throw new AppError("invalid_argument", `Invalid body: expected one of ${FIELDS.join(", ")}`);
  }
  return patch;
}

/** Creates the conversation settings part of the logic service. */
export function conversationSettings(ctx: Context) {
  const { store } = ctx;

  return {
    /**
     * Changes the caller's settings of a conversation they take part in (checked
     * as history checks it), then tells every connection of theirs, this one too:
     * the list of each device follows (a pin, a mute, a hide made elsewhere).
     */
    async updateConversation(
      userId: string,
      conversationId: string,
      input: unknown,
    ): Promise<ConversationSummary> {
      // Each change writes a row: limited as the read marks that also write per user are.
      await ctx.limit(`settings:${userId}`, ctx.rates.readPerUser, "conversation changes");
      const patch = settingsPatch(input);
      const { peerId, group } = await participant(store, userId, conversationId);
      const [peer] = peerId === undefined ? [] : await store.accounts.users([peerId]);
      if (peerId !== undefined && !peer) {
        // A well-formed pair with an unknown user: no conversation to keep settings of.
        throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
      }
      await store.messages.updateSettings(userId, conversationId, patch);
      const row = await store.messages.conversation(userId, conversationId);
      const conversation: ConversationSummary = {
        ...toSummary(row, peer && userView(peer), group && groupView(group)),
        hidden: row.hidden,
      };
      await ctx.emit([userId], { op: "conversation_update", conversation });
      return conversation;
    },
  };
}
