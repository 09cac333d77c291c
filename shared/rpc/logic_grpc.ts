/**
 * LogicService over gRPC: the server that wraps a logic instance, and a client
 * that spreads calls over the live logic instances, with a deadline on every
 * call and a retry on another instance for calls that are safe to repeat.
 */
import { SERVER_VARIABLES } from "../config/variables_server.ts";
import { AppError, toAppError } from "../errors.ts";
import { logger } from "../log.ts";
import { rpcCalls, rpcSeconds, secondsSince } from "../metrics.ts";
import { currentTrace, parseTraceparent, withTrace } from "../trace.ts";
import {
  deadline,
  fromServiceError,
  grpc,
  InFlight,
  isTransportFailure,
  listen,
  loadProto,
  neverSent,
  type RpcServer,
  toServiceError,
} from "./grpc.ts";

export type { RpcServer } from "./grpc.ts";
import type { LogicService } from "./logic.ts";

/**
 * The largest message either side takes: an upload and a download travel whole in one message,
 * so it must hold the largest file `IM_MAX_FILE_BYTES` may allow, with room for the arguments.
 * (The api reads no body past its configured limit before it calls.)
 */
const MAX_MESSAGE_BYTES = SERVER_VARIABLES.IM_MAX_FILE_BYTES.max + 1024 * 1024;

/** Every method, and whether a call that may have run can be repeated on another instance. */
const METHODS: Record<keyof LogicService, boolean> = {
  register: false,
  login: true,
  logout: true,
  authenticate: true,
  me: true,
  updateMe: true,
  searchUsers: true,
  user: true,
  // Account settings: a repeat finds the password changed, the session ended or
  // the account gone, and says so instead of doing it twice.
  changePassword: false,
  sessions: true,
  endSession: false,
  deleteAccount: false,
  requestFriend: false,
  friendRequests: true,
  acceptFriend: true,
  rejectFriend: true,
  // Repeated after it ran, it answers not_found: the request is gone either way.
  cancelFriendRequest: true,
  friends: true,
  removeFriend: true,
  createGroup: false,
  groups: true,
  searchGroups: true,
  group: true,
  joinGroup: false,
  leaveGroup: true,
  addGroupMembers: false,
  updateGroup: true,
  // Setting the same role or mute again changes nothing.
  updateGroupMember: true,
  // Repeated after it ran: not_found (no longer a member), a second transfer forbidden, a second
  // disband not_found, a decided request not_found. The caller would see an error for what worked.
  removeGroupMember: false,
  transferGroup: false,
  disbandGroup: false,
  joinRequests: true,
  acceptJoinRequest: false,
  rejectJoinRequest: false,
  block: true,
  unblock: true,
  blocks: true,
  groupIdsOf: true,
  // Idempotent by clientMsgId.
  send: true,
  sendMany: true,
  conversations: true,
  history: true,
  read: true,
  // Setting the same settings again changes nothing; a search only reads.
  updateConversation: true,
  searchMessages: true,
  // Not repeated after it may have run: a second edit entry would follow, the same text but
  // one more entry than the client asked for (the fault suite counts them). A recall repeated
  // would answer conflict.
  editMessage: false,
  recallMessage: false,
  reads: true,
  // Not worth a retry: the next keystroke sends another.
  typing: false,
  uploadMedia: false,
  media: true,
  ready: true,
};

/** How long an instance that refused a connection is tried last. */
const DOWN_MS = 2000;

interface CallRequest {
  method: string;
  args: string;
  payload: Uint8Array;
}

interface CallReply {
  result: string;
  payload: Uint8Array;
}

type LogicStub = grpc.Client & {
  call(
    request: CallRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply: CallReply) => void,
  ): void;
};

function definition() {
  const pkg = loadProto("logic.proto") as unknown as {
    im: { logic: { Logic: grpc.ServiceClientConstructor } };
  };
  return pkg.im.logic.Logic;
}

/** Options of the logic gRPC server. */
export interface LogicServerOptions {
  host: string;
  port: number;
  onError?: (error: unknown) => void;
}

/**
 * Serves a logic instance over gRPC. Each call runs in the trace its `traceparent` metadata names
 * (sendMany's sends also carry one each, in its arguments).
 */
export async function serveLogic(
  logic: LogicService,
  { host, port, onError = (error) => logger("logic_grpc").error("call failed", { error }) }:
    LogicServerOptions,
): Promise<RpcServer> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": MAX_MESSAGE_BYTES });
  const service = definition().service;
  const inFlight = new InFlight();
  server.addService(service, {
    call: (
      call: grpc.ServerUnaryCall<CallRequest, CallReply>,
      callback: grpc.sendUnaryData<CallReply>,
    ) =>
      inFlight.run(() =>
        withTrace(parseTraceparent(call.metadata.get("traceparent")[0]), async () => {
          try {
            const { method, args, payload } = call.request;
            if (!Object.hasOwn(METHODS, method)) {
              throw new AppError("not_found", `No logic method "${method}"`);
            }
            const list = JSON.parse(args || "[]") as unknown[];
            if (method === "uploadMedia") {
              const options = (list[1] ?? undefined) as Parameters<LogicService["uploadMedia"]>[2];
              const info = await logic.uploadMedia(
                String(list[0]),
                new Uint8Array(payload),
                options,
              );
              return callback(null, { result: JSON.stringify(info), payload: new Uint8Array() });
            }
            if (method === "media") {
              const { info, bytes } = await logic.media(String(list[0]));
              return callback(null, { result: JSON.stringify({ info }), payload: bytes });
            }
            const fn = logic[method as keyof LogicService] as (...a: unknown[]) => Promise<unknown>;
            const result = await fn(...list);
            callback(null, {
              result: result === undefined ? "" : JSON.stringify(result),
              payload: new Uint8Array(),
            });
          } catch (error) {
            callback(toServiceError(error, onError));
          }
        })
      ),
  });
  return await listen(server, host, port, inFlight);
}

/** Options of the logic client. */
export interface LogicClientOptions {
  /** The addresses (host:port) of the live logic instances, asked before each call. */
  targets: () => string[];
  /** Deadline of one call. */
  timeoutMs: number;
}

/** A LogicService that calls the live logic instances over gRPC. */
export type GrpcLogicClient = LogicService & { close(): void };

/** Creates the client; it opens channels lazily and closes those of instances that went away. */
export function createGrpcLogicClient({ targets, timeoutMs }: LogicClientOptions): GrpcLogicClient {
  const Logic = definition();
  const stubs = new Map<string, LogicStub>();
  const down = new Map<string, number>();
  let next = 0;

  function stub(address: string): LogicStub {
    let found = stubs.get(address);
    if (!found) {
      found = new Logic(address, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      }) as unknown as LogicStub;
      stubs.set(address, found);
    }
    return found;
  }

  function prune(live: string[]): void {
    for (const [address, client] of stubs) {
      if (!live.includes(address)) {
        client.close();
        stubs.delete(address);
      }
    }
  }

  function once(
    address: string,
    request: CallRequest,
    metadata: grpc.Metadata,
  ): Promise<CallReply> {
    return new Promise((resolve, reject) => {
      stub(address).call(request, metadata, { deadline: deadline(timeoutMs) }, (error, reply) => {
        if (error) reject(fromServiceError(error, `logic at ${address}`));
        else resolve(reply);
      });
    });
  }

  /**
   * One call as its caller sees it (retries on other instances included): counted by outcome
   * (`ok` or the error code) and timed.
   */
  async function call(
    method: keyof LogicService,
    args: unknown[],
    payload: Uint8Array = new Uint8Array(),
  ): Promise<CallReply> {
    const started = performance.now();
    let outcome = "ok";
    try {
      return await attempt(method, args, payload);
    } catch (error) {
      outcome = toAppError(error).code;
      throw error;
    } finally {
      rpcCalls.inc({ service: "logic", method, outcome });
      rpcSeconds.observe({ service: "logic", method }, secondsSince(started));
    }
  }

  async function attempt(
    method: keyof LogicService,
    args: unknown[],
    payload: Uint8Array = new Uint8Array(),
  ): Promise<CallReply> {
    const live = targets();
    prune(live);
    if (live.length === 0) throw new AppError("unavailable", "No logic instance is registered");
    // Instances that just refused a connection go last until they answer again.
    const now = Date.now();
    const start = next++;
    const order = live.map((_, i) => live[(start + i) % live.length])
      .sort((a, b) => Number((down.get(a) ?? 0) > now) - Number((down.get(b) ?? 0) > now));
    const request = { method, args: JSON.stringify(args), payload };
    // The caller's trace goes along, so logic's lines carry its trace id.
    const metadata = new grpc.Metadata();
    const trace = currentTrace();
    if (trace) metadata.set("traceparent", trace.traceparent);
    let last: AppError | null = null;
    for (const address of order) {
      try {
        const reply = await once(address, request, metadata);
        down.delete(address);
        return reply;
      } catch (error) {
        last = error as AppError;
        if (!isTransportFailure(last)) throw last;
        // A call that never left may go elsewhere; one that may have run is repeated only if that is safe.
        if (neverSent(last)) down.set(address, Date.now() + DOWN_MS);
        else if (!METHODS[method]) throw last;
      }
    }
    throw last!;
  }

  const client: Record<string, unknown> = {};
  for (const method of Object.keys(METHODS) as (keyof LogicService)[]) {
    client[method] = async (...args: unknown[]) => {
      const { result } = await call(method, args);
      return result === "" ? undefined : JSON.parse(result);
    };
  }
  client.uploadMedia = async (
    userId: string,
    bytes: Uint8Array,
    options?: Parameters<LogicService["uploadMedia"]>[2],
  ) => {
    const { result } = await call("uploadMedia", [userId, options ?? null], bytes);
    return JSON.parse(result);
  };
  client.media = async (mediaId: string) => {
    const { result, payload } = await call("media", [mediaId]);
    return { info: JSON.parse(result).info, bytes: new Uint8Array(payload) };
  };
  client.close = () => prune([]);
  return client as unknown as GrpcLogicClient;
}
