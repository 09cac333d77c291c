/** ConnectService over gRPC: the server on each connect instance, and task's client per instance. */
import { toAppError } from "../errors.ts";
import { logger } from "../log.ts";
import { rpcCalls, rpcSeconds, secondsSince } from "../metrics.ts";
import {
  deadline,
  fromServiceError,
  grpc,
  InFlight,
  listen,
  loadProto,
  type RpcServer,
  toServiceError,
} from "./grpc.ts";
import type { ConnectService, PushItem } from "./connect.ts";

interface WireItem {
  userIds: string[];
  groupId: string;
  frame: string;
  ackConversationId: string;
  ackSeq: number;
  membership: { groupId: string; added: string[]; removed: string[] } | null;
  exceptUserId: string;
  traceparent: string;
}

type ConnectStub = grpc.Client & {
  push(
    request: { items: WireItem[] },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null) => void,
  ): void;
  kick(
    request: { tokenHashes: string[] },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null) => void,
  ): void;
};

function definition() {
  const pkg = loadProto("connect.proto") as unknown as {
    im: { connect: { Connect: grpc.ServiceClientConstructor } };
  };
  return pkg.im.connect.Connect;
}

function toWire(item: PushItem): WireItem {
  return {
    userIds: "userIds" in item ? item.userIds : [],
    groupId: "groupId" in item ? item.groupId : "",
    frame: item.frame,
    ackConversationId: item.ack?.conversationId ?? "",
    ackSeq: item.ack?.seq ?? 0,
    membership: "membership" in item && item.membership ? item.membership : null,
    exceptUserId: "except" in item && item.except ? item.except : "",
    traceparent: item.traceparent ?? "",
  };
}

function fromWire(item: WireItem): PushItem {
  const ack = item.ackConversationId
    ? { conversationId: item.ackConversationId, seq: item.ackSeq }
    : undefined;
  const trace = item.traceparent ? { traceparent: item.traceparent } : {};
  if (item.groupId) {
    return item.exceptUserId
      ? { groupId: item.groupId, frame: item.frame, ack, except: item.exceptUserId, ...trace }
      : { groupId: item.groupId, frame: item.frame, ack, ...trace };
  }
  return {
    userIds: item.userIds,
    frame: item.frame,
    ack,
    membership: item.membership?.groupId ? item.membership : undefined,
    ...trace,
  };
}

/** Serves a connect instance's ConnectService over gRPC. */
export async function serveConnect(
  service: ConnectService,
  { host, port, onError = (error) => logger("connect_grpc").error("call failed", { error }) }: {
    host: string;
    port: number;
    onError?: (error: unknown) => void;
  },
): Promise<RpcServer> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  const inFlight = new InFlight();
  server.addService(definition().service, {
    push: (
      call: grpc.ServerUnaryCall<{ items: WireItem[] }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) =>
      inFlight.run(async () => {
        try {
          await service.push(call.request.items.map(fromWire));
          callback(null, {});
        } catch (error) {
          callback(toServiceError(error, onError));
        }
      }),
    kick: (
      call: grpc.ServerUnaryCall<{ tokenHashes: string[] }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) =>
      inFlight.run(async () => {
        try {
          await service.kick(call.request.tokenHashes);
          callback(null, {});
        } catch (error) {
          callback(toServiceError(error, onError));
        }
      }),
  });
  return await listen(server, host, port, inFlight);
}

/** A ConnectService reached over gRPC; pushes are retried once (they are idempotent: clients drop duplicates). */
export class GrpcConnectClient implements ConnectService {
  readonly #stub: ConnectStub;
  readonly #address: string;
  readonly #timeoutMs: number;

  constructor({ address, timeoutMs }: { address: string; timeoutMs: number }) {
    this.#address = address;
    this.#timeoutMs = timeoutMs;
    this.#stub = new (definition())(address, grpc.credentials.createInsecure(), {
      "grpc.max_send_message_length": 64 * 1024 * 1024,
    }) as unknown as ConnectStub;
  }

  #call(method: "push" | "kick", request: object): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error: grpc.ServiceError | null) =>
        error ? reject(fromServiceError(error, `connect at ${this.#address}`)) : resolve();
      if (method === "push") {
        this.#stub.push(
          request as { items: WireItem[] },
          { deadline: deadline(this.#timeoutMs) },
          done,
        );
      } else {this.#stub.kick(request as { tokenHashes: string[] }, {
          deadline: deadline(this.#timeoutMs),
        }, done);}
    });
  }

  /** One call as task sees it (a retry included): counted by outcome and timed. */
  async #counted(method: "push" | "kick", call: () => Promise<void>): Promise<void> {
    const started = performance.now();
    let outcome = "ok";
    try {
      await call();
    } catch (error) {
      outcome = toAppError(error).code;
      throw error;
    } finally {
      rpcCalls.inc({ service: "connect", method, outcome });
      rpcSeconds.observe({ service: "connect", method }, secondsSince(started));
    }
  }

  push(items: PushItem[]): Promise<void> {
    const request = { items: items.map(toWire) };
    return this.#counted("push", async () => {
      try {
        await this.#call("push", request);
      } catch {
        await this.#call("push", request);
      }
    });
  }

  kick(tokenHashes: string[]): Promise<void> {
    return this.#counted("kick", () => this.#call("kick", { tokenHashes }));
  }

  close(): void {
    this.#stub.close();
  }
}
