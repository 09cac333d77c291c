/**
 * The configuration: every `IM_*` variable, declared once in
 * `config/variables.ts`, validated into one frozen object, and cut into the
 * slice each process reads. Only `main.ts` files call `loadConfig()`.
 */
import { parseRange } from "./address_match.ts";
import { ConfigError, type Env, parseEnv } from "./config/parse.ts";
import type { Process, RateLimit, Values } from "./config/variables.ts";

export { ConfigError };
export type { Env, Process, RateLimit };

/** Every limit of the client protocol that logic checks, configurable. */
export interface Limits {
  usernameMin: number;
  usernameMax: number;
  passwordMin: number;
  passwordMax: number;
  nicknameMax: number;
  groupNameMax: number;
  textMax: number;
  imageBytes: number;
  /** Bytes of a file upload (`POST /api/media?kind=file`). */
  fileBytes: number;
  groupSize: number;
  /** Seconds after sending in which a sender may edit a text. */
  editWindowS: number;
  /** Seconds after sending in which a sender may recall a message. */
  recallWindowS: number;
  /** Members of a group up to which read receipts go to members (the reader's own connections always). */
  receiptGroupMax: number;
  /** Members of a group above which typing is not relayed. */
  typingGroupMax: number;
  noteMax: number;
  /** Code points of a group's notice. */
  groupNoticeMax: number;
  /** How far ahead a member may be muted (ms); further is `invalid_argument`. */
  muteMaxMs: number;
  /** Pending join requests a group keeps; more are `rate_limited` until some are decided. */
  joinRequestsMax: number;
}

/** The abuse limits, each shared by every instance (Redis in a cluster). */
export interface Rates {
  loginPerUsername: RateLimit;
  loginPerAddress: RateLimit;
  registerPerAddress: RateLimit;
  uploadPerUser: RateLimit;
  friendRequestPerUser: RateLimit;
  searchPerUser: RateLimit;
  /** `read` frames (they move read marks in the database). */
  readPerUser: RateLimit;
  /** Message searches (each reads the search index). */
  messageSearchPerUser: RateLimit;
}

/** What `createLogic()` takes from the configuration. */
export interface LogicConfig {
  limits: Limits;
  auth: { scryptCost: number; tokenTtlMs: number };
  send: { rate: number; burst: number };
  rates: Rates;
}

/** What `createApi()` takes from the configuration. */
export interface ApiConfig {
  jsonBodyBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body. */
  jsonDepth: number;
  /** How long a request body may take to arrive. */
  bodyTimeoutMs: number;
  imageBytes: number;
  fileBytes: number;
  /** Origins of other sites whose pages may call the API (CORS); empty: no CORS headers at all. */
  corsOrigins: string[];
}

/** What `createConnect()` takes from the configuration. */
export interface ConnectConfig {
  buckets: number;
  bucketRate: number;
  bucketBurst: number;
  redeliverMs: number;
  authTimeoutMs: number;
  idleTimeoutMs: number;
  sendBufferBytes: number;
  maxConnectionsPerUser: number;
  maxConnectionsPerAddress: number;
  /** WebSockets per client address not yet authenticated. */
  maxUnauthenticatedPerAddress: number;
  /** WebSockets of this server not yet authenticated, from every address. */
  maxHandshakes: number;
  /** Origins whose pages may open WebSockets; empty: the page's host must be the server's. */
  allowedOrigins: string[];
  /** Frames, and their size, one connection may have waiting to be handled. */
  inboxFrames: number;
  inboxBytes: number;
  ackRate: number;
  ackBurst: number;
  /** Pushes one connection may leave unacked. */
  maxPendingPushes: number;
  frameBytes: number;
  /** Deepest nesting of arrays and objects in a frame. */
  jsonDepth: number;
}

/** Where the cluster's engines are, and how instances find and call each other. */
export interface ClusterConfig {
  /** This instance's id; empty means the process picks one. */
  instanceId: string;
  /** The host other instances and clients use to reach this one. */
  advertiseHost: string;
  /** The WebSocket URL a connect instance announces to clients; empty: ws://<advertiseHost>:<port>/ws. */
  publicWsUrl: string;
  /** The gRPC port (0 picks a free one). */
  grpcPort: number;
  /** Deadline of every call between layers. */
  rpcTimeoutMs: number;
  postgres: { url: string; poolSize: number; replicaUrl?: string };
  kafka: {
    brokers: string[];
    topic: string;
    partitions: number;
    groupId: string;
    /** Replication factor and `min.insync.replicas` of the topic when a process creates it. */
    replicationFactor: number;
    minInsyncReplicas: number;
  };
  /** One Redis URL, or several: the startup nodes of a Redis Cluster (also when `cluster`). */
  redis: { urls: string[]; cluster: boolean; prefix: string };
  etcd: { endpoints: string[]; prefix: string; ttlSeconds: number };
}

/** Where a server listens, and the limits of its connections (see `shared/http_server.ts`). */
export interface HttpConfig {
  host: string;
  port: number;
  /** Connections open at once; 0: from the open-file limit. */
  maxConnections: number;
  httpConnectionsPerAddress: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Address ranges that may read `/metrics` on this port (shared/address_match.ts). */
  metricsFrom: string[];
}

/** How a process writes its log lines (shared/log.ts). */
export interface OpsConfig {
  logFormat: "auto" | "json" | "pretty";
  logLevel: "debug" | "info" | "warn" | "error";
}

/** The whole validated configuration: every process's slice. */
export interface Config {
  http: HttpConfig;
  ops: OpsConfig;
  /** logic and task: the port of `/metrics`, `/healthz`, `/readyz` (0 picks a free one). */
  metricsPort: number;
  dataDir: string;
  /** How the embedded store syncs commits (shared/store/sqlite.ts). */
  sqliteSynchronous: "normal" | "full";
  /** Whether saves keep the message search index (`IM_BENCH_SEARCH_INDEX`; off only to benchmark it). */
  searchIndex: boolean;
  /** How long an offline waits before friends are told (task; 0: at once). */
  presenceGraceMs: number;
  workerId: number;
  serverId: string;
  logic: LogicConfig;
  api: ApiConfig;
  connect: ConnectConfig;
  cluster: ClusterConfig;
}

/** The slice of the configuration each process reads. */
export interface ProcessConfigs {
  embedded: Omit<Config, "cluster" | "metricsPort">;
  api: Pick<Config, "http" | "api" | "ops"> & {
    cluster: Pick<ClusterConfig, "rpcTimeoutMs" | "etcd">;
  };
  logic: Pick<Config, "logic" | "ops" | "metricsPort"> & {
    cluster: Pick<
      ClusterConfig,
      "instanceId" | "advertiseHost" | "grpcPort" | "postgres" | "kafka" | "redis" | "etcd"
    >;
  };
  task: Pick<Config, "searchIndex" | "presenceGraceMs" | "ops" | "metricsPort"> & {
    cluster: Pick<
      ClusterConfig,
      "instanceId" | "rpcTimeoutMs" | "postgres" | "kafka" | "redis" | "etcd"
    >;
  };
  connect: Pick<Config, "http" | "connect" | "ops"> & {
    cluster: Pick<
      ClusterConfig,
      | "instanceId"
      | "advertiseHost"
      | "publicWsUrl"
      | "grpcPort"
      | "rpcTimeoutMs"
      | "redis"
      | "etcd"
    >;
  };
}

/** Cuts each process's slice out of the whole. */
const SLICES: { [P in Process]: (config: Config) => ProcessConfigs[P] } = {
  embedded: ({ cluster: _, metricsPort: __, ...embedded }) => embedded,
  api: ({ http, api, ops, cluster: { rpcTimeoutMs, etcd } }) => ({
    http,
    api,
    ops,
    cluster: { rpcTimeoutMs, etcd },
  }),
  logic: ({ logic, ops, metricsPort, cluster }) => {
    const { instanceId, advertiseHost, grpcPort, postgres, kafka, redis, etcd } = cluster;
    return {
      logic,
      ops,
      metricsPort,
      cluster: { instanceId, advertiseHost, grpcPort, postgres, kafka, redis, etcd },
    };
  },
  task: (
    {
      searchIndex,
      presenceGraceMs,
      ops,
      metricsPort,
      cluster: { instanceId, rpcTimeoutMs, postgres, kafka, redis, etcd },
    },
  ) => ({
    searchIndex,
    presenceGraceMs,
    ops,
    metricsPort,
    // The replica is logic's, for history and search: task writes, and reads what it wrote.
    cluster: {
      instanceId,
      rpcTimeoutMs,
      postgres: { url: postgres.url, poolSize: postgres.poolSize },
      kafka,
      redis,
      etcd,
    },
  }),
  connect: ({ http, connect, ops, cluster }) => {
    const { instanceId, advertiseHost, publicWsUrl, grpcPort, rpcTimeoutMs, redis, etcd } = cluster;
    return {
      http,
      connect,
      ops,
      cluster: { instanceId, advertiseHost, publicWsUrl, grpcPort, rpcTimeoutMs, redis, etcd },
    };
  },
};

/**
 * Validates every `IM_*` variable into one frozen object, or with `process`
 * into that process's slice; throws ConfigError naming the bad variable, or
 * an `IM_*` variable that is not declared.
 */
export function loadConfig(env: Env): Readonly<Config>;
export function loadConfig<P extends Process>(env: Env, process: P): Readonly<ProcessConfigs[P]>;
export function loadConfig(
  env: Env,
  process?: Process,
): Readonly<Config | ProcessConfigs[Process]> {
  const config = build(parseEnv(env));
  return deepFreeze(process ? SLICES[process](config) : config);
}

function build(v: Values): Config {
  const badRange = v.IM_METRICS_FROM.find((range) => parseRange(range) === null);
  if (badRange !== undefined) {
    throw new ConfigError(`Invalid IM_METRICS_FROM: "${badRange}" is not an address range`);
  }
  const limits: Limits = {
    usernameMin: 3,
    usernameMax: 32,
    passwordMin: 8,
    passwordMax: 128,
    nicknameMax: 64,
    groupNameMax: 64,
    noteMax: 256,
    textMax: v.IM_MAX_TEXT,
    imageBytes: v.IM_MAX_IMAGE_BYTES,
    fileBytes: v.IM_MAX_FILE_BYTES,
    groupSize: v.IM_MAX_GROUP_SIZE,
    editWindowS: v.IM_EDIT_WINDOW_S,
    recallWindowS: v.IM_RECALL_WINDOW_S,
    receiptGroupMax: v.IM_RECEIPT_GROUP_MAX,
    typingGroupMax: 500,
    groupNoticeMax: 1000,
    muteMaxMs: 366 * 24 * 3600 * 1000,
    joinRequestsMax: 1000,
  };
  return {
    http: {
      host: v.IM_HTTP_HOST,
      port: v.IM_HTTP_PORT,
      maxConnections: v.IM_MAX_CONNECTIONS,
      httpConnectionsPerAddress: v.IM_MAX_HTTP_CONNECTIONS_PER_ADDRESS,
      headersTimeoutMs: v.IM_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: v.IM_KEEP_ALIVE_TIMEOUT_MS,
      metricsFrom: v.IM_METRICS_FROM,
    },
    ops: {
      logFormat: v.IM_LOG_FORMAT as OpsConfig["logFormat"],
      logLevel: v.IM_LOG_LEVEL as OpsConfig["logLevel"],
    },
    metricsPort: v.IM_METRICS_PORT,
    dataDir: v.IM_DATA_DIR,
    sqliteSynchronous: v.IM_SQLITE_SYNCHRONOUS as "normal" | "full",
    searchIndex: v.IM_BENCH_SEARCH_INDEX !== "off",
    presenceGraceMs: v.IM_PRESENCE_GRACE_MS,
    workerId: v.IM_WORKER_ID,
    serverId: v.IM_SERVER_ID || `connect-${v.IM_WORKER_ID}`,
    logic: {
      limits,
      auth: { scryptCost: v.IM_SCRYPT_COST, tokenTtlMs: v.IM_TOKEN_TTL_DAYS * 86_400_000 },
      send: { rate: v.IM_SEND_RATE, burst: v.IM_SEND_BURST },
      rates: {
        loginPerUsername: v.IM_RATE_LOGIN_USERNAME,
        loginPerAddress: v.IM_RATE_LOGIN_ADDRESS,
        registerPerAddress: v.IM_RATE_REGISTER_ADDRESS,
        uploadPerUser: v.IM_RATE_UPLOAD,
        friendRequestPerUser: v.IM_RATE_FRIEND_REQUEST,
        searchPerUser: v.IM_RATE_SEARCH,
        readPerUser: { rate: v.IM_READ_RATE, burst: v.IM_READ_BURST },
        messageSearchPerUser: { rate: v.IM_SEARCH_RATE, burst: v.IM_SEARCH_BURST },
      },
    },
    api: {
      jsonBodyBytes: v.IM_MAX_BODY_BYTES,
      jsonDepth: v.IM_MAX_JSON_DEPTH,
      bodyTimeoutMs: v.IM_BODY_TIMEOUT_MS,
      imageBytes: v.IM_MAX_IMAGE_BYTES,
      fileBytes: v.IM_MAX_FILE_BYTES,
      corsOrigins: v.IM_CORS_ORIGINS,
    },
    connect: {
      buckets: v.IM_CONNECT_BUCKETS,
      bucketRate: v.IM_BUCKET_RATE,
      bucketBurst: v.IM_BUCKET_BURST,
      redeliverMs: v.IM_REDELIVER_MS,
      authTimeoutMs: v.IM_AUTH_TIMEOUT_MS,
      idleTimeoutMs: v.IM_IDLE_TIMEOUT_MS,
      sendBufferBytes: v.IM_SEND_BUFFER_BYTES,
      maxConnectionsPerUser: v.IM_MAX_CONNECTIONS_PER_USER,
      maxConnectionsPerAddress: v.IM_MAX_CONNECTIONS_PER_ADDRESS,
      maxUnauthenticatedPerAddress: v.IM_MAX_UNAUTHENTICATED_PER_ADDRESS,
      maxHandshakes: v.IM_MAX_HANDSHAKES,
      allowedOrigins: v.IM_ALLOWED_ORIGINS,
      inboxFrames: v.IM_MAX_QUEUED_FRAMES,
      inboxBytes: v.IM_MAX_QUEUED_BYTES,
      ackRate: v.IM_ACK_RATE,
      ackBurst: v.IM_ACK_BURST,
      maxPendingPushes: v.IM_MAX_PENDING_PUSHES,
      frameBytes: v.IM_MAX_FRAME_BYTES,
      jsonDepth: v.IM_MAX_JSON_DEPTH,
    },
    cluster: {
      instanceId: v.IM_INSTANCE_ID,
      advertiseHost: v.IM_ADVERTISE_HOST,
      publicWsUrl: v.IM_PUBLIC_WS_URL,
      grpcPort: v.IM_GRPC_PORT,
      rpcTimeoutMs: v.IM_RPC_TIMEOUT_MS,
      postgres: {
        url: v.IM_POSTGRES_URL,
        poolSize: v.IM_POSTGRES_POOL,
        ...(v.IM_POSTGRES_REPLICA_URL ? { replicaUrl: v.IM_POSTGRES_REPLICA_URL } : {}),
      },
      kafka: {
        brokers: v.IM_KAFKA_BROKERS,
        topic: v.IM_KAFKA_TOPIC,
        partitions: v.IM_KAFKA_PARTITIONS,
        groupId: v.IM_KAFKA_GROUP,
        replicationFactor: v.IM_KAFKA_REPLICATION,
        minInsyncReplicas: v.IM_KAFKA_MIN_INSYNC,
      },
      redis: {
        urls: v.IM_REDIS_URL,
        cluster: v.IM_REDIS_CLUSTER === "true",
        prefix: v.IM_REDIS_PREFIX,
      },
      etcd: {
        endpoints: v.IM_ETCD_ENDPOINTS,
        prefix: v.IM_ETCD_PREFIX,
        ttlSeconds: v.IM_LEASE_TTL_S,
      },
    },
  };
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === "object") deepFreeze(inner);
  }
  return Object.freeze(value);
}
