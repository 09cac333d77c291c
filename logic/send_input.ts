/** The checks of a send's input: its target, content and clientMsgId. */
import { AppError } from "../shared/errors.ts";
import type { Content, Target } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { checkId, checkMediaId, checkString, object } from "./validate.ts";
import { mediaUrl } from "./views.ts";

const CLIENT_MSG_ID = {
  min: 1,
  max: 64,
  pattern: /^[\x21-\x7e]+$/,
  patternText: "printable ASCII without spaces",
};

/** The envelope of a send: its clientMsgId checked, the rest to check in its batch. */
export function sendEnvelope(input: unknown): {
  clientMsgId: string;
  body: Record<string, unknown>;
} {
  const body = object(input, ["to", "clientMsgId", "content"]);
  return { clientMsgId: checkString(body.clientMsgId, "clientMsgId", CLIENT_MSG_ID), body };
}

/** Where a send goes. */
export function target(value: unknown): Target {
  const body = object(value, ["type", "id"], "to");
  if (body.type !== "user" && body.type !== "group") {
    throw new AppError("invalid_argument", 'Invalid to.type: expected "user" or "group"');
  }
  return { type: body.type, id: checkId(body.id, "to.id") };
}

/** What a send carries; an image must name stored media. */
export async function content(ctx: Context, value: unknown): Promise<Content> {
  const body = object(value, ["type", "text", "mediaId"], "content");
  if (body.type === "text") {
    object(value, ["type", "text"], "content");
    return {
      type: "text",
      text: checkString(body.text, "content.text", { min: 1, max: ctx.limits.textMax }),
    };
  }
  if (body.type === "image") {
    object(value, ["type", "mediaId"], "content");
    const mediaId = checkMediaId(body.mediaId, "content.mediaId");
    const info = await ctx.store.media.info(mediaId);
    if (!info) throw new AppError("not_found", `Cannot send image "${mediaId}": no such media`);
    return {
      type: "image",
      mediaId,
      url: mediaUrl(mediaId),
      ...(info.width !== null && info.height !== null
        ? { width: info.width, height: info.height }
        : {}),
    };
  }
  throw new AppError("invalid_argument", 'Invalid content.type: expected "text" or "image"');
}
