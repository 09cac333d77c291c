/** The one place an error becomes an HTTP answer, for every HTTP boundary (api, connect, embedded). */
import { HTTP_STATUS, toAppError } from "./errors.ts";

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

/** Maps an error to its status and `{"error":{code,message}}` body; unknown errors are logged and become a bare 500. */
export function errorResponse(error: unknown, log: (error: unknown) => void): Response {
  const appError = toAppError(error);
  if (appError.code === "internal") log(error);
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (appError.code === "rate_limited") headers["retry-after"] = String(appError.retryAfter ?? 1);
  return new Response(
    JSON.stringify({ error: { code: appError.code, message: appError.message } }),
    { status: HTTP_STATUS[appError.code], headers },
  );
}
