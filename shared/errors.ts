/** The closed set of error codes of the client protocol. */
export type ErrorCode =
  | "invalid_argument"
  | "unauthenticated"
  | "invalid_credentials"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "unavailable"
  | "internal";

/** Every code, for mapping tables and validation of codes that crossed a wire. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "invalid_argument",
  "unauthenticated",
  "invalid_credentials",
  "forbidden",
  "not_found",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "unavailable",
  "internal",
];

/** An error a client may see: a protocol code plus a human message. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** Seconds a client should wait before retrying (only for `rate_limited`). */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfter?: number },
  ) {
    super(message, { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.retryAfter = options?.retryAfter;
  }
}

/** Turns anything thrown into an AppError; unknown errors become `internal` with a generic message. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError("internal", "Internal server error", { cause: error });
}

/** The HTTP status of each code. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};
