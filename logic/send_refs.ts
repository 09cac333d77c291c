/**
 * The checks of sends that depend on their conversation (PROTOCOL.md, Version
 * 2, Messages): the message a reply answers, the members a text mentions, and
 * who may mention everyone. Done for a whole batch with one store query per
 * conversation, group or kind, and none at all for plain sends.
 */
import { AppError } from "../shared/errors.ts";
import { isUpdate, replyPreview } from "../shared/message_view.ts";
import type { Content, Message, ReplyPreview, Target } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { isModerator } from "./group_roles.ts";
import { storedSoon } from "./stored_soon.ts";

/** A send whose conversation the sender may write to, before its references are checked. */
export interface AddressedSend {
  userId: string;
  to: Target;
  conversationId: string;
  content: Content;
  replyTo?: string;
}

/** A send's outcome: the preview of the message it answers (if any), or why it is refused. */
export type RefCheck = { ok: true; replyTo?: ReplyPreview } | { ok: false; error: unknown };

/** Checks each send's reply and mentions; one outcome per send, in order. */
export async function checkRefs(
  ctx: Context,
  sends: readonly AddressedSend[],
): Promise<RefCheck[]> {
  const { store } = ctx;
  const replies = new Map<string, Set<string>>();
  const readers = new Map<string, [string, string]>();
  const mentioned = new Map<string, [string, string]>();
  const moderators = new Map<string, [string, string]>();
  for (const send of sends) {
    const group = send.to.type === "group" ? send.to.id : null;
    if (send.replyTo !== undefined) {
      let ids = replies.get(send.conversationId);
      if (!ids) replies.set(send.conversationId, ids = new Set());
      ids.add(send.replyTo);
      if (group) readers.set(`${group}:${send.userId}`, [group, send.userId]);
    }
    if (group && send.content.type === "text") {
      for (const id of send.content.mentions ?? []) mentioned.set(`${group}:${id}`, [group, id]);
      if (send.content.mentionAll) moderators.set(`${group}:${send.userId}`, [group, send.userId]);
    }
  }
  // Each lookup at once; an empty one asks nothing.
  const [quoted, floors, members, roles] = await Promise.all([
    lookUp([...replies], async ([conversationId, ids]) => {
      const found = await store.messages.get(conversationId, [...ids]);
      // A reply to a message sent a moment ago: it may not be stored yet, so wait for it. One of
      // another conversation is found at once and stays unknown here.
      const missing = [...ids].filter((id) => !found.some((m) => m.id === id));
      const late = await Promise.all(
        missing.map((id) => storedSoon(id, () => store.messages.byId(id), ctx.now)),
      );
      const here = late.filter((m): m is Message => m?.conversationId === conversationId);
      return [...found, ...here].map((m) => [`${conversationId}:${m.id}`, m] as const);
    }),
    lookUp([...readers], async ([key, [groupId, userId]]) => {
      return [[key, await store.groups.historyFloor(groupId, userId)] as const];
    }),
    mentioned.size > 0 ? store.groups.memberPairs([...mentioned.values()]) : new Set<string>(),
    lookUp([...moderators], async ([key, [groupId, userId]]) => {
      return [[key, await store.groups.role(groupId, userId)] as const];
    }),
  ]);

  return sends.map((send) => {
    try {
      checkMentions(send, members, roles);
      if (send.replyTo === undefined) return { ok: true };
      const floor = send.to.type === "group" ? floors.get(`${send.to.id}:${send.userId}`) ?? 0 : 0;
      const target = quoted.get(`${send.conversationId}:${send.replyTo}`);
      // Unknown, of another conversation, or from before the sender joined: all look the same.
      if (!target || target.seq <= floor) {
        throw new AppError(
          "invalid_argument",
          `Invalid content.replyTo: no message "${send.replyTo}" in this conversation`,
        );
      }
      if (isUpdate(target)) {
        throw new AppError(
          "invalid_argument",
          "Invalid content.replyTo: an edit or recall cannot be answered; answer its message",
        );
      }
      if (target.content.type === "system") {
        throw new AppError(
          "invalid_argument",
          "Invalid content.replyTo: a system message cannot be answered",
        );
      }
      return { ok: true, replyTo: replyPreview(target) };
    } catch (error) {
      return { ok: false, error };
    }
  });
}

/** Mentions: in groups only, of members; everyone only by the owner or an admin. */
function checkMentions(
  send: AddressedSend,
  members: Set<string>,
  roles: Map<string, string | null>,
): void {
  const { content, to } = send;
  if (content.type !== "text" || (!content.mentions && !content.mentionAll)) return;
  if (to.type !== "group") {
    throw new AppError(
      "invalid_argument",
      "Invalid content: mentions are for groups only, not private chats",
    );
  }
  const stranger = content.mentions?.find((id) => !members.has(`${to.id}:${id}`));
  if (stranger !== undefined) {
    throw new AppError(
      "invalid_argument",
      `Invalid content.mentions: "${stranger}" is not a member of group "${to.id}"`,
    );
  }
  if (content.mentionAll && !isModerator(roles.get(`${to.id}:${send.userId}`) ?? null)) {
    throw new AppError(
      "forbidden",
      `Cannot mention everyone in group "${to.id}": only its owner and admins may`,
    );
  }
}

/** Runs one lookup per entry, all at once, into one map. */
async function lookUp<E, V>(
  entries: readonly E[],
  find: (entry: E) => Promise<(readonly [string, V])[]>,
): Promise<Map<string, V>> {
  if (entries.length === 0) return new Map();
  return new Map((await Promise.all(entries.map(find))).flat());
}
