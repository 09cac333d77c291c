/** Every limit of the client protocol, configurable. */
export interface Limits {
  usernameMin: number;
  usernameMax: number;
  passwordMin: number;
  passwordMax: number;
  nicknameMax: number;
  groupNameMax: number;
  textMax: number;
  imageBytes: number;
  frameBytes: number;
  groupSize: number;
  jsonBodyBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body or frame. */
  jsonDepth: number;
  /** How long a request body may take to arrive. */
  bodyTimeoutMs: number;
  noteMax: number;
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
  postgres: { url: string; poolSize: number };
  kafka: { brokers: string[]; topic: string; partitions: number; groupId: string };
  redis: { url: string; prefix: string };
  etcd: { endpoints: string[]; prefix: string; ttlSeconds: number };
}

/** The whole validated configuration. */
export interface Config {
  cluster: ClusterConfig;
  http: { host: string; port: number };
  dataDir: string;
  workerId: number;
  serverId: string;
  limits: Limits;
  auth: { scryptCost: number; tokenTtlMs: number };
  send: { rate: number; burst: number };
  rates: Rates;
  /** Origins whose pages may open WebSockets; empty: the page's host must be the server's. */
  allowedOrigins: string[];
  /** Origins of other sites whose pages may call the API (CORS); empty: no CORS headers at all. */
  corsOrigins: string[];
  connect: {
    buckets: number;
    bucketRate: number;
    bucketBurst: number;
    redeliverMs: number;
    authTimeoutMs: number;
    idleTimeoutMs: number;
    sendBufferBytes: number;
    maxConnectionsPerUser: number;
    maxConnectionsPerAddress: number;
  };
}

type Env = Record<string, string | undefined>;

/** A configuration error naming the bad variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Typed readers of variables that remember which names they read. */
function reader(env: Env) {
  const read = new Set<string>();

  function str(name: string, fallback: string, pattern?: RegExp): string {
    read.add(name);
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    if (pattern && !pattern.test(raw)) {
      throw new ConfigError(`Invalid ${name}="${raw}": expected to match ${pattern}`);
    }
    return raw;
  }

  function int(name: string, fallback: number, min: number, max: number): number {
    read.add(name);
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(`Invalid ${name}="${raw}": expected an integer from ${min} to ${max}`);
    }
    return value;
  }

  function list(name: string, fallback: string, pattern: RegExp): string[] {
    const items = str(name, fallback).split(",").map((item) => item.trim()).filter(Boolean);
    const bad = items.find((item) => !pattern.test(item));
    if (items.length === 0 || bad !== undefined) {
      throw new ConfigError(
        `Invalid ${name}="${env[name]}": expected a comma-separated list matching ${pattern}`,
      );
    }
    return items;
  }

  /** `N/S`: N at once, N more every S seconds. */
  function rate(name: string, fallback: string): RateLimit {
    const raw = str(name, fallback);
    const match = /^(\d{1,9})\/(\d{1,7})$/.exec(raw.trim());
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
      throw new ConfigError(
        `Invalid ${name}="${raw}": expected COUNT/SECONDS, such as 10/60 (10 a minute)`,
      );
    }
    return { burst: Number(match[1]), rate: Number(match[1]) / Number(match[2]) };
  }

  return { str, int, list, rate, read };
}

/** A token bucket: `burst` at once, refilled at `rate` per second. */
export interface RateLimit {
  rate: number;
  burst: number;
}

/** The abuse limits, each shared by every instance (Redis in a cluster). */
export interface Rates {
  loginPerUsername: RateLimit;
  loginPerAddress: RateLimit;
  registerPerAddress: RateLimit;
  uploadPerUser: RateLimit;
  friendRequestPerUser: RateLimit;
  searchPerUser: RateLimit;
}

/** Variables of the project's tooling (tests, infra scripts), not of the server. */
const TOOLING = /^IM_(INFRA_|E2E_|FAULT_|BROWSER_|CLUSTER_TESTS$)/;

/** Validates every `IM_*` variable into one frozen object; throws ConfigError naming the bad one. */
export function loadConfig(env: Env): Readonly<Config> {
  const { int, str, list, rate, read } = reader(env);
  const scryptCost = int("IM_SCRYPT_COST", 16384, 2, 1 << 20);
  if ((scryptCost & (scryptCost - 1)) !== 0) {
    throw new ConfigError(`Invalid IM_SCRYPT_COST="${scryptCost}": expected a power of two`);
  }
  const workerId = int("IM_WORKER_ID", 0, 0, 1023);
  const config: Config = {
    cluster: {
      instanceId: str("IM_INSTANCE_ID", "", /^[A-Za-z0-9_.-]{1,64}$/),
      advertiseHost: str("IM_ADVERTISE_HOST", "127.0.0.1", /^[A-Za-z0-9_.:-]{1,255}$/),
      publicWsUrl: str("IM_PUBLIC_WS_URL", "", /^wss?:\/\/\S+$/),
      grpcPort: int("IM_GRPC_PORT", 0, 0, 65535),
      rpcTimeoutMs: int("IM_RPC_TIMEOUT_MS", 5000, 50, 600_000),
      postgres: {
        url: str("IM_POSTGRES_URL", "postgres://im@127.0.0.1:15432/im", /^postgres(ql)?:\/\//),
        poolSize: int("IM_POSTGRES_POOL", 10, 1, 1000),
      },
      kafka: {
        brokers: list("IM_KAFKA_BROKERS", "127.0.0.1:19092", /^[A-Za-z0-9_.-]+:\d+$/),
        topic: str("IM_KAFKA_TOPIC", "im.messages", /^[A-Za-z0-9._-]{1,200}$/),
        partitions: int("IM_KAFKA_PARTITIONS", 12, 1, 10_000),
        groupId: str("IM_KAFKA_GROUP", "im-task", /^[A-Za-z0-9._-]{1,200}$/),
      },
      redis: {
        url: str("IM_REDIS_URL", "redis://127.0.0.1:16379", /^rediss?:\/\//),
        prefix: str("IM_REDIS_PREFIX", "im:", /^[A-Za-z0-9:._-]{0,100}$/),
      },
      etcd: {
        endpoints: list(
          "IM_ETCD_ENDPOINTS",
          "http://127.0.0.1:12379",
          /^https?:\/\/[A-Za-z0-9_.-]+:\d+$/,
        ),
        prefix: str("IM_ETCD_PREFIX", "/im/", /^\/[A-Za-z0-9/._-]*\/$/),
        ttlSeconds: int("IM_LEASE_TTL_S", 5, 2, 10),
      },
    },
    http: {
      host: str("IM_HTTP_HOST", "0.0.0.0"),
      port: int("IM_HTTP_PORT", 8080, 0, 65535),
    },
    dataDir: str("IM_DATA_DIR", "./data"),
    workerId,
    serverId: str("IM_SERVER_ID", `connect-${workerId}`, /^[A-Za-z0-9_.-]{1,64}$/),
    limits: {
      usernameMin: 3,
      usernameMax: 32,
      passwordMin: 8,
      passwordMax: 128,
      nicknameMax: 64,
      groupNameMax: 64,
      noteMax: 256,
      textMax: int("IM_MAX_TEXT", 4000, 1, 1_000_000),
      imageBytes: int("IM_MAX_IMAGE_BYTES", 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      frameBytes: int("IM_MAX_FRAME_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
      groupSize: int("IM_MAX_GROUP_SIZE", 2000, 2, 1_000_000),
      jsonBodyBytes: int("IM_MAX_BODY_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
      jsonDepth: int("IM_MAX_JSON_DEPTH", 16, 2, 1000),
      bodyTimeoutMs: int("IM_BODY_TIMEOUT_MS", 10_000, 100, 600_000),
    },
    auth: {
      scryptCost,
      tokenTtlMs: int("IM_TOKEN_TTL_DAYS", 30, 1, 3650) * 86_400_000,
    },
    rates: {
      loginPerUsername: rate("IM_RATE_LOGIN_USERNAME", "10/300"),
      loginPerAddress: rate("IM_RATE_LOGIN_ADDRESS", "100/300"),
      registerPerAddress: rate("IM_RATE_REGISTER_ADDRESS", "20/3600"),
      uploadPerUser: rate("IM_RATE_UPLOAD", "60/60"),
      friendRequestPerUser: rate("IM_RATE_FRIEND_REQUEST", "100/3600"),
      searchPerUser: rate("IM_RATE_SEARCH", "60/60"),
    },
    corsOrigins: str("IM_CORS_ORIGINS", "") === ""
      ? []
      : list("IM_CORS_ORIGINS", "", /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/),
    allowedOrigins: str("IM_ALLOWED_ORIGINS", "") === ""
      ? []
      : list("IM_ALLOWED_ORIGINS", "", /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/),
    send: {
      rate: int("IM_SEND_RATE", 100, 1, 1_000_000),
      burst: int("IM_SEND_BURST", 200, 1, 1_000_000),
    },
    connect: {
      buckets: int("IM_CONNECT_BUCKETS", 32, 1, 4096),
      bucketRate: int("IM_BUCKET_RATE", 200_000, 1, 100_000_000),
      bucketBurst: int("IM_BUCKET_BURST", 20_000, 1, 100_000_000),
      redeliverMs: int("IM_REDELIVER_MS", 30_000, 50, 3_600_000),
      authTimeoutMs: int("IM_AUTH_TIMEOUT_MS", 10_000, 50, 600_000),
      idleTimeoutMs: int("IM_IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000),
      sendBufferBytes: int("IM_SEND_BUFFER_BYTES", 4 * 1024 * 1024, 64 * 1024, 1 << 30),
      maxConnectionsPerUser: int("IM_MAX_CONNECTIONS_PER_USER", 20, 1, 1_000_000),
      maxConnectionsPerAddress: int("IM_MAX_CONNECTIONS_PER_ADDRESS", 5000, 1, 10_000_000),
    },
  };
  for (const name of Object.keys(env)) {
    if (name.startsWith("IM_") && !read.has(name) && !TOOLING.test(name)) {
      throw new ConfigError(`Unknown variable ${name}: see the configuration table in README.md`);
    }
  }
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === "object") deepFreeze(inner);
  }
  return Object.freeze(value);
}
