/** Message search (PROTOCOL.md, Conversations: "Search"): the query checked, the store asked, the answers restricted. */
import { AppError } from "../shared/errors.ts";
import { restrictTo } from "../shared/message_view.ts";
import { foldForSearch, SEARCH_QUERY_MAX, SEARCH_QUERY_MIN } from "../shared/search_text.ts";
import type { Message } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { participant } from "./participation.ts";
import { charLength, checkId, checkInt, checkText } from "./validate.ts";

/** The query string of `GET /api/messages/search`, as the api hands it over. */
export interface SearchInput {
  q: string | null;
  conversationId: string | null;
  before: string | null;
  limit: string | null;
}

/** Most code points a query may have once normalized (NFKC), a phrase of as many bigrams less one. */
const FOLDED_QUERY_MAX = 4 * SEARCH_QUERY_MAX;

/**
 * `q` trimmed, 2–100 code points. Folded (NFKC can join a letter and its accent
 * into one), it must still hold two: the index finds pairs of code points, so
 * one alone could be looked up only by reading every message; and at most 400.
 */
function checkQuery(value: string | null): string {
  if (value === null) throw new AppError("invalid_argument", "Invalid q: required");
  checkText(value, "q");
  const q = value.trim();
  const length = charLength(q);
  if (length < SEARCH_QUERY_MIN || length > SEARCH_QUERY_MAX) {
    throw new AppError(
      "invalid_argument",
      `Invalid q: expected ${SEARCH_QUERY_MIN} to ${SEARCH_QUERY_MAX} characters (not counting spaces at either end), got ${length}`,
    );
  }
  const folded = charLength(foldForSearch(q));
  if (folded < SEARCH_QUERY_MIN) {
    throw new AppError(
      "invalid_argument",
      `Invalid q: expected ${SEARCH_QUERY_MIN} characters or more once normalized`,
    );
  }
  // NFKC may make one character many (U+FDFA is 18): the phrase looked up stays short.
  if (folded > FOLDED_QUERY_MAX) {
    throw new AppError(
      "invalid_argument",
      `Invalid q: expected at most ${FOLDED_QUERY_MAX} characters once normalized, got ${folded}`,
    );
  }
  return q;
}

/** Creates the message search part of the logic service. */
export function search(ctx: Context) {
  const { store } = ctx;

  /**
   * The caller's floor in each group whose found messages quote another: only a
   * quote can show a message from below a floor (search finds text messages, no
   * update entries). Null for a group they left since the search read it.
   */
  async function quotingFloors(
    userId: string,
    messages: Message[],
  ): Promise<Map<string, number | null>> {
    const groupIds = new Set(
      messages.flatMap((m) => m.to.type === "group" && m.replyTo ? [m.to.id] : []),
    );
    return new Map(
      await Promise.all(
        [...groupIds].map(async (id) => [id, await store.groups.historyFloor(id, userId)] as const),
      ),
    );
  }

  return {
    /**
     * Text messages the caller may read whose current text contains `q`, newest
     * first: the store searches only where they read (their private chats, and
     * their groups above their floor); here quotes of messages from before a
     * group floor lose their preview, as in history.
     */
    async searchMessages(userId: string, input: SearchInput): Promise<Message[]> {
      const text = checkQuery(input.q);
      const beforeId = input.before === null ? null : checkId(input.before, "before");
      const limit = checkInt(input.limit ?? undefined, "limit", 1, 50, 20);
      await ctx.limit(`search-messages:${userId}`, ctx.rates.messageSearchPerUser, "searches");
      const { conversationId } = input;
      const where = conversationId === null
        ? null
        : await participant(store, userId, conversationId);
      const found = await store.messages.search({
        userId,
        text,
        conversationId,
        beforeId,
        limit,
      });
      const floors = where?.group
        ? new Map([[where.group.id, where.floor]])
        : await quotingFloors(userId, found);
      return found.flatMap((message) => {
        if (message.to.type !== "group" || !message.replyTo) return [message];
        const floor = floors.get(message.to.id);
        return floor === null || floor === undefined ? [] : [restrictTo(message, floor)];
      });
    },
  };
}
