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
  noteMax: number;
}

/** The whole validated configuration. */
export interface Config {
  http: { host: string; port: number };
  dataDir: string;
  workerId: number;
  serverId: string;
  limits: Limits;
  auth: { scryptCost: number; tokenTtlMs: number };
  send: { rate: number; burst: number };
  connect: {
    buckets: number;
    bucketRate: number;
    bucketBurst: number;
    redeliverMs: number;
    authTimeoutMs: number;
    idleTimeoutMs: number;
    sendBufferBytes: number;
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

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`Invalid ${name}="${raw}": expected an integer from ${min} to ${max}`);
  }
  return value;
}

function str(env: Env, name: string, fallback: string, pattern?: RegExp): string {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (pattern && !pattern.test(raw)) {
    throw new ConfigError(`Invalid ${name}="${raw}": expected to match ${pattern}`);
  }
  return raw;
}

const KNOWN = new Set([
  "IM_HTTP_HOST",
  "IM_HTTP_PORT",
  "IM_DATA_DIR",
  "IM_WORKER_ID",
  "IM_SERVER_ID",
  "IM_REDELIVER_MS",
  "IM_CONNECT_BUCKETS",
  "IM_BUCKET_RATE",
  "IM_BUCKET_BURST",
  "IM_AUTH_TIMEOUT_MS",
  "IM_IDLE_TIMEOUT_MS",
  "IM_SEND_BUFFER_BYTES",
  "IM_SEND_RATE",
  "IM_SEND_BURST",
  "IM_SCRYPT_COST",
  "IM_TOKEN_TTL_DAYS",
  "IM_MAX_TEXT",
  "IM_MAX_IMAGE_BYTES",
  "IM_MAX_FRAME_BYTES",
  "IM_MAX_GROUP_SIZE",
  "IM_MAX_BODY_BYTES",
]);

/** Validates every `IM_*` variable into one frozen object; throws ConfigError naming the bad one. */
export function loadConfig(env: Env): Readonly<Config> {
  for (const name of Object.keys(env)) {
    if (name.startsWith("IM_") && !KNOWN.has(name)) {
      throw new ConfigError(`Unknown variable ${name}: see the configuration table in README.md`);
    }
  }
  const scryptCost = int(env, "IM_SCRYPT_COST", 16384, 2, 1 << 20);
  if ((scryptCost & (scryptCost - 1)) !== 0) {
    throw new ConfigError(`Invalid IM_SCRYPT_COST="${scryptCost}": expected a power of two`);
  }
  const workerId = int(env, "IM_WORKER_ID", 0, 0, 1023);
  const config: Config = {
    http: {
      host: str(env, "IM_HTTP_HOST", "0.0.0.0"),
      port: int(env, "IM_HTTP_PORT", 8080, 0, 65535),
    },
    dataDir: str(env, "IM_DATA_DIR", "./data"),
    workerId,
    serverId: str(env, "IM_SERVER_ID", `connect-${workerId}`, /^[A-Za-z0-9_.-]{1,64}$/),
    limits: {
      usernameMin: 3,
      usernameMax: 32,
      passwordMin: 8,
      passwordMax: 128,
      nicknameMax: 64,
      groupNameMax: 64,
      noteMax: 256,
      textMax: int(env, "IM_MAX_TEXT", 4000, 1, 1_000_000),
      imageBytes: int(env, "IM_MAX_IMAGE_BYTES", 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      frameBytes: int(env, "IM_MAX_FRAME_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
      groupSize: int(env, "IM_MAX_GROUP_SIZE", 2000, 2, 1_000_000),
      jsonBodyBytes: int(env, "IM_MAX_BODY_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
    },
    auth: {
      scryptCost,
      tokenTtlMs: int(env, "IM_TOKEN_TTL_DAYS", 30, 1, 3650) * 86_400_000,
    },
    send: {
      rate: int(env, "IM_SEND_RATE", 100, 1, 1_000_000),
      burst: int(env, "IM_SEND_BURST", 200, 1, 1_000_000),
    },
    connect: {
      buckets: int(env, "IM_CONNECT_BUCKETS", 32, 1, 4096),
      bucketRate: int(env, "IM_BUCKET_RATE", 200_000, 1, 100_000_000),
      bucketBurst: int(env, "IM_BUCKET_BURST", 20_000, 1, 100_000_000),
      redeliverMs: int(env, "IM_REDELIVER_MS", 30_000, 50, 3_600_000),
      authTimeoutMs: int(env, "IM_AUTH_TIMEOUT_MS", 10_000, 50, 600_000),
      idleTimeoutMs: int(env, "IM_IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000),
      sendBufferBytes: int(env, "IM_SEND_BUFFER_BYTES", 4 * 1024 * 1024, 64 * 1024, 1 << 30),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === "object") deepFreeze(inner);
  }
  return Object.freeze(value);
}
