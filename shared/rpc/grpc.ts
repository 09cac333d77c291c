/** What both gRPC adapters share: loading protos, deadlines, and the one error mapping for gRPC. */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { AppError, ERROR_CODES, type ErrorCode } from "../errors.ts";

export { grpc };

/** Loads a proto file of `shared/proto` into a grpc-js package definition. */
export function loadProto(name: string): grpc.GrpcObject {
  const path = new URL(`../proto/${name}`, import.meta.url).pathname;
  const definition = protoLoader.loadSync(path, {
    keepCase: false,
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition);
}

const STATUS: Record<ErrorCode, grpc.status> = {
  invalid_argument: grpc.status.INVALID_ARGUMENT,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  invalid_credentials: grpc.status.UNAUTHENTICATED,
  forbidden: grpc.status.PERMISSION_DENIED,
  not_found: grpc.status.NOT_FOUND,
  conflict: grpc.status.ALREADY_EXISTS,
  payload_too_large: grpc.status.OUT_OF_RANGE,
  unsupported_media_type: grpc.status.INVALID_ARGUMENT,
  rate_limited: grpc.status.RESOURCE_EXHAUSTED,
  unavailable: grpc.status.UNAVAILABLE,
  internal: grpc.status.INTERNAL,
};

/** The one place an error becomes a gRPC status; the exact protocol code rides in the `im-code` trailer. */
export function toServiceError(error: unknown, log: (error: unknown) => void): grpc.ServiceError {
  const appError = error instanceof AppError
    ? error
    : new AppError("internal", "Internal server error", { cause: error });
  if (appError.code === "internal") log(error);
  const metadata = new grpc.Metadata();
  metadata.set("im-code", appError.code);
  if (appError.retryAfter !== undefined) {
    metadata.set("im-retry-after", String(appError.retryAfter));
  }
  return Object.assign(new Error(appError.message), {
    code: STATUS[appError.code],
    details: appError.message,
    metadata,
  }) as grpc.ServiceError;
}

/** Turns a failed call back into an AppError; transport failures become `unavailable`. */
export function fromServiceError(error: grpc.ServiceError, target: string): AppError {
  const code = error.metadata?.get("im-code")[0];
  if (typeof code === "string" && (ERROR_CODES as string[]).includes(code)) {
    const retry = error.metadata.get("im-retry-after")[0];
    return new AppError(code as ErrorCode, error.details, {
      cause: error,
      retryAfter: retry === undefined ? undefined : Number(retry),
    });
  }
  return new AppError("unavailable", `Cannot reach ${target}: ${error.details || error.message}`, {
    cause: error,
  });
}

/** Whether a call failed in transport (no answer from the service), so it may or may not have run. */
export function isTransportFailure(error: AppError): boolean {
  const cause = error.cause as grpc.ServiceError | undefined;
  return error.code === "unavailable" && !cause?.metadata?.get("im-code")[0];
}

/** Whether a call surely never reached a server (no connection could be made), so any call may be tried elsewhere. */
export function neverSent(error: AppError): boolean {
  const cause = error.cause as grpc.ServiceError | undefined;
  return isTransportFailure(error) &&
    /No connection established|ECONNREFUSED/.test(cause?.details ?? "");
}

/** A deadline `ms` from now. */
export function deadline(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** A running gRPC server. */
export interface RpcServer {
  port: number;
  /**
   * Waits until no call is in flight (at most `graceMs`), without telling clients
   * anything. A process that leaves its registry first and then drains can exit
   * without `close()`: see `close()` for why that matters.
   */
  drain(graceMs?: number): Promise<void>;
  /**
   * Stops the server, sending HTTP/2 GOAWAY to its clients. On Deno 2.9.6 a
   * `node:http2` session that processes a GOAWAY can abort the whole process
   * inside nghttp2 (denoland/deno#36788), so long-lived processes drain and exit
   * instead, and clients see a closed connection, which they survive.
   */
  close(): Promise<void>;
}

/** Counts calls in progress, for draining. */
export class InFlight {
  #count = 0;

  /** Runs a handler, counted while it runs. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.#count++;
    try {
      return await fn();
    } finally {
      this.#count--;
    }
  }

  get count(): number {
    return this.#count;
  }
}

/** Starts a gRPC server on host:port (0 picks a free port). */
export function listen(
  server: grpc.Server,
  host: string,
  port: number,
  inFlight: InFlight,
): Promise<RpcServer> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) return reject(error);
      resolve({
        port: bound,
        async drain(graceMs = 5000) {
          const deadline = Date.now() + graceMs;
          while (inFlight.count > 0 && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 20));
          }
        },
        close: () => shutdown(server),
      });
    });
  });
}

/** Stops a server: waits for calls in flight up to `graceMs`, then forces. */
function shutdown(server: grpc.Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
