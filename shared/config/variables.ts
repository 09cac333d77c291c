/**
 * The declaration of every `IM_*` variable: its type, default, range, meaning
 * and who reads it. `loadConfig()` validates from it, and
 * `scripts/config_docs.ts` writes README.md's configuration tables from it.
 * A variable is added here, once, or the server refuses it as unknown.
 */

/** A process of the server: the embedded mode, or one layer of a cluster. */
export type Process = "embedded" | "api" | "logic" | "task" | "connect";

/** Who reads a variable: a process, the infrastructure scripts (`scripts/`), or the tests. */
export type Reader = Process | "scripts" | "tests";

/** Every process, in the order the documentation lists them. */
export const PROCESSES: readonly Process[] = ["embedded", "api", "logic", "task", "connect"];

interface Common {
  /** What it sets, in a phrase for the README's table. */
  meaning: string;
  readBy: readonly Reader[];
  /** The default as the table shows it, when it is computed rather than fixed. */
  shown?: string;
}

/** One variable's declaration. */
export type Variable =
  & Common
  & (
    | { type: "int"; default: number; min: number; max: number; powerOfTwo?: true }
    /** Text, matching `pattern` when there is one; empty or unset gives the default. */
    | { type: "string"; default: string; pattern?: RegExp; example: string }
    /** Comma-separated items each matching `pattern`; an empty default gives `[]`. */
    | { type: "list"; default: string; pattern: RegExp; example: string }
    /** `COUNT/SECONDS`: COUNT at once, COUNT more every SECONDS. */
    | { type: "rate"; default: string }
  );

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/;
const EMBEDDED_LOGIC: Reader[] = ["embedded", "logic"];
const EMBEDDED_CONNECT: Reader[] = ["embedded", "connect"];
const LAYERS: Reader[] = ["api", "logic", "task", "connect"];
const ENGINES: Reader[] = ["logic", "task"];
const REDIS: Reader[] = ["logic", "task", "connect"];
const INFRA: Reader[] = ["scripts", "tests"];

/** Every `IM_*` variable, in the order of the README's tables. */
export const VARIABLES = {
  IM_HTTP_HOST: {
    type: "string",
    default: "0.0.0.0",
    example: "127.0.0.1",
    meaning: "address to listen on",
    readBy: ["embedded", "api", "connect"],
  },
  IM_HTTP_PORT: {
    type: "int",
    default: 8080,
    min: 0,
    max: 65535,
    meaning:
      "port; `0` picks a free one (printed at start); `deno task cluster` gives it to the api",
    readBy: ["embedded", "api", "connect", "scripts"],
  },
  IM_DATA_DIR: {
    type: "string",
    default: "./data",
    example: "/var/lib/im",
    meaning: "PGlite data folder; `memory://` keeps nothing",
    readBy: ["embedded"],
  },
  IM_WORKER_ID: {
    type: "int",
    default: 0,
    min: 0,
    max: 1023,
    meaning: "snowflake worker id (a cluster claims one in etcd instead)",
    readBy: ["embedded"],
  },
  IM_SERVER_ID: {
    type: "string",
    default: "",
    shown: "`connect-<IM_WORKER_ID>`",
    pattern: NAME,
    example: "connect-a",
    meaning: "this connect server's id",
    readBy: ["embedded"],
  },
  IM_REDELIVER_MS: {
    type: "int",
    default: 30_000,
    min: 50,
    max: 3_600_000,
    meaning: "redelivery timeout of unacked pushes",
    readBy: EMBEDDED_CONNECT,
  },
  IM_CONNECT_BUCKETS: {
    type: "int",
    default: 32,
    min: 1,
    max: 4096,
    meaning: "connection buckets (farmhash of user id)",
    readBy: EMBEDDED_CONNECT,
  },
  IM_BUCKET_RATE: {
    type: "int",
    default: 200_000,
    min: 1,
    max: 100_000_000,
    meaning: "frames per second a bucket writes",
    readBy: EMBEDDED_CONNECT,
  },
  IM_BUCKET_BURST: {
    type: "int",
    default: 20_000,
    min: 1,
    max: 100_000_000,
    meaning: "frames a bucket may write at once",
    readBy: EMBEDDED_CONNECT,
  },
  IM_AUTH_TIMEOUT_MS: {
    type: "int",
    default: 10_000,
    min: 50,
    max: 600_000,
    meaning: "time to send `auth`",
    readBy: EMBEDDED_CONNECT,
  },
  IM_IDLE_TIMEOUT_MS: {
    type: "int",
    default: 60_000,
    min: 100,
    max: 3_600_000,
    meaning: "a silent client is dropped after this",
    readBy: EMBEDDED_CONNECT,
  },
  IM_SEND_BUFFER_BYTES: {
    type: "int",
    default: 4 * 1024 * 1024,
    min: 64 * 1024,
    max: 1 << 30,
    meaning: "a client that does not read is closed past this",
    readBy: EMBEDDED_CONNECT,
  },
  IM_MAX_CONNECTIONS_PER_USER: {
    type: "int",
    default: 20,
    min: 1,
    max: 1_000_000,
    meaning: "WebSocket sessions per account on one connect server (the next closes with 4429)",
    readBy: EMBEDDED_CONNECT,
  },
  IM_MAX_CONNECTIONS_PER_ADDRESS: {
    type: "int",
    default: 5000,
    min: 1,
    max: 10_000_000,
    meaning: "open WebSockets per client address on one connect server (the next upgrade gets 429)",
    readBy: EMBEDDED_CONNECT,
  },
  IM_SEND_RATE: {
    type: "int",
    default: 100,
    min: 1,
    max: 1_000_000,
    meaning: "messages per second per user",
    readBy: EMBEDDED_LOGIC,
  },
  IM_SEND_BURST: {
    type: "int",
    default: 200,
    min: 1,
    max: 1_000_000,
    meaning: "messages a user may send at once",
    readBy: EMBEDDED_LOGIC,
  },
  IM_SCRYPT_COST: {
    type: "int",
    default: 16384,
    min: 2,
    max: 1 << 20,
    powerOfTwo: true,
    meaning: "scrypt N for passwords",
    readBy: EMBEDDED_LOGIC,
  },
  IM_TOKEN_TTL_DAYS: {
    type: "int",
    default: 30,
    min: 1,
    max: 3650,
    meaning: "token lifetime in days",
    readBy: EMBEDDED_LOGIC,
  },
  IM_MAX_TEXT: {
    type: "int",
    default: 4000,
    min: 1,
    max: 1_000_000,
    meaning: "characters in a text message",
    readBy: EMBEDDED_LOGIC,
  },
  IM_MAX_IMAGE_BYTES: {
    type: "int",
    default: 5 * 1024 * 1024,
    min: 1024,
    max: 100 * 1024 * 1024,
    meaning: "bytes in an image upload",
    readBy: ["embedded", "api", "logic"],
  },
  IM_MAX_FRAME_BYTES: {
    type: "int",
    default: 64 * 1024,
    min: 1024,
    max: 16 * 1024 * 1024,
    meaning: "bytes in a WebSocket frame",
    readBy: EMBEDDED_CONNECT,
  },
  IM_MAX_GROUP_SIZE: {
    type: "int",
    default: 2000,
    min: 2,
    max: 1_000_000,
    meaning: "members in a group",
    readBy: EMBEDDED_LOGIC,
  },
  IM_MAX_BODY_BYTES: {
    type: "int",
    default: 64 * 1024,
    min: 1024,
    max: 16 * 1024 * 1024,
    meaning: "bytes in a JSON body",
    readBy: ["embedded", "api"],
  },
  IM_MAX_JSON_DEPTH: {
    type: "int",
    default: 16,
    min: 2,
    max: 1000,
    meaning: "nesting of arrays and objects in a body or frame (checked before parsing)",
    readBy: ["embedded", "api", "connect"],
  },
  IM_BODY_TIMEOUT_MS: {
    type: "int",
    default: 10_000,
    min: 100,
    max: 600_000,
    meaning: "time for a request body to arrive",
    readBy: ["embedded", "api"],
  },
  IM_RATE_LOGIN_USERNAME: {
    type: "rate",
    default: "10/300",
    meaning: "sign-in attempts per account (`10/300`: 10 per 5 minutes)",
    readBy: EMBEDDED_LOGIC,
  },
  IM_RATE_LOGIN_ADDRESS: {
    type: "rate",
    default: "100/300",
    meaning: "sign-in attempts per client address",
    readBy: EMBEDDED_LOGIC,
  },
  IM_RATE_REGISTER_ADDRESS: {
    type: "rate",
    default: "20/3600",
    meaning: "registrations per client address",
    readBy: EMBEDDED_LOGIC,
  },
  IM_RATE_UPLOAD: {
    type: "rate",
    default: "60/60",
    meaning: "media uploads per user",
    readBy: EMBEDDED_LOGIC,
  },
  IM_RATE_FRIEND_REQUEST: {
    type: "rate",
    default: "100/3600",
    meaning: "friend requests per user",
    readBy: EMBEDDED_LOGIC,
  },
  IM_RATE_SEARCH: {
    type: "rate",
    default: "60/60",
    meaning: "user and group searches per user",
    readBy: EMBEDDED_LOGIC,
  },
  IM_ALLOWED_ORIGINS: {
    type: "list",
    default: "",
    pattern: ORIGIN,
    example: "https://chat.example.com",
    meaning: "origins whose pages may open WebSockets; empty: the page's host must be the server's",
    readBy: EMBEDDED_CONNECT,
  },
  IM_CORS_ORIGINS: {
    type: "list",
    default: "",
    pattern: ORIGIN,
    example: "https://app.example.com",
    meaning: "origins of other sites whose pages may call the API; empty: no CORS headers",
    readBy: ["embedded", "api"],
  },
  IM_INSTANCE_ID: {
    type: "string",
    default: "",
    shown: "picked per process",
    pattern: NAME,
    example: "task-1",
    meaning: "this instance's id (connect: its server id); give task instances stable ids so " +
      "their status-queue processing lists survive restarts",
    readBy: ["logic", "task", "connect"],
  },
  IM_ADVERTISE_HOST: {
    type: "string",
    default: "127.0.0.1",
    pattern: /^[A-Za-z0-9_.:-]{1,255}$/,
    example: "logic-1",
    meaning: "the host others use to reach this instance",
    readBy: ["logic", "connect"],
  },
  IM_PUBLIC_WS_URL: {
    type: "string",
    default: "",
    shown: "`ws://<IM_ADVERTISE_HOST>:<port>/ws`",
    pattern: /^wss?:\/\/\S+$/,
    example: "wss://chat.example.com/ws",
    meaning: "what a connect instance tells clients to open",
    readBy: ["connect"],
  },
  IM_GRPC_PORT: {
    type: "int",
    default: 0,
    min: 0,
    max: 65535,
    meaning: "gRPC port of logic and connect; `0` picks a free one",
    readBy: ["logic", "connect"],
  },
  IM_RPC_TIMEOUT_MS: {
    type: "int",
    default: 5000,
    min: 50,
    max: 600_000,
    meaning: "deadline of every call between layers",
    readBy: ["api", "task", "connect"],
  },
  IM_POSTGRES_URL: {
    type: "string",
    default: "postgres://im@127.0.0.1:15432/im",
    pattern: /^postgres(ql)?:\/\//,
    example: "postgres://im@db:5432/im",
    meaning: "PostgreSQL",
    readBy: ENGINES,
  },
  IM_POSTGRES_POOL: {
    type: "int",
    default: 10,
    min: 1,
    max: 1000,
    meaning: "PostgreSQL connections per process",
    readBy: ENGINES,
  },
  IM_KAFKA_BROKERS: {
    type: "list",
    default: "127.0.0.1:19092",
    pattern: /^[A-Za-z0-9_.-]+:\d+$/,
    example: "kafka-1:9092,kafka-2:9092",
    meaning: "Kafka brokers",
    readBy: ENGINES,
  },
  IM_KAFKA_TOPIC: {
    type: "string",
    default: "im.messages",
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
    example: "im.test",
    meaning: "the message log topic (created if missing)",
    readBy: ENGINES,
  },
  IM_KAFKA_PARTITIONS: {
    type: "int",
    default: 12,
    min: 1,
    max: 10_000,
    meaning: "partitions when the topic is created",
    readBy: ENGINES,
  },
  IM_KAFKA_GROUP: {
    type: "string",
    default: "im-task",
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
    example: "im-task-test",
    meaning: "task's consumer group (logic's log is given it too, and does not consume)",
    readBy: ENGINES,
  },
  IM_REDIS_URL: {
    type: "string",
    default: "redis://127.0.0.1:16379",
    pattern: /^rediss?:\/\//,
    example: "redis://redis:6379",
    meaning: "Redis",
    readBy: REDIS,
  },
  IM_REDIS_PREFIX: {
    type: "string",
    default: "im:",
    pattern: /^[A-Za-z0-9:._-]{0,100}$/,
    example: "im-test:",
    meaning: "Redis key prefix",
    readBy: REDIS,
  },
  IM_ETCD_ENDPOINTS: {
    type: "list",
    default: "http://127.0.0.1:12379",
    pattern: /^https?:\/\/[A-Za-z0-9_.-]+:\d+$/,
    example: "http://etcd-1:2379,http://etcd-2:2379",
    meaning: "etcd endpoints",
    readBy: LAYERS,
  },
  IM_ETCD_PREFIX: {
    type: "string",
    default: "/im/",
    pattern: /^\/[A-Za-z0-9/._-]*\/$/,
    example: "/im-test/",
    meaning: "etcd key prefix",
    readBy: LAYERS,
  },
  IM_LEASE_TTL_S: {
    type: "int",
    default: 5,
    min: 2,
    max: 10,
    meaning: "etcd lease TTL in seconds; task sweeps routes of dead servers every TTL + 1 s",
    readBy: LAYERS,
  },
  IM_INFRA_DIR: {
    type: "string",
    default: "/tmp/im-infra",
    example: "/var/tmp/im-infra",
    meaning: "`infra:up`: the engines' data and logs",
    readBy: ["scripts"],
  },
  IM_INFRA_CACHE: {
    type: "string",
    default: "",
    shown: "`$HOME/.cache/im-infra`",
    example: "/var/cache/im-infra",
    meaning: "`infra:up`: the downloaded Kafka broker",
    readBy: ["scripts"],
  },
  IM_INFRA_KAFKA_PORT: {
    type: "string",
    default: "19092",
    example: "29092",
    meaning: "`infra:up`: Kafka's port (and the next one, its controller's); the tests' too",
    readBy: INFRA,
  },
  IM_INFRA_REDIS_PORT: {
    type: "string",
    default: "16379",
    example: "26379",
    meaning: "`infra:up`: Redis's port; the tests' too",
    readBy: INFRA,
  },
  IM_INFRA_ETCD_PORT: {
    type: "string",
    default: "12379",
    example: "22379",
    meaning: "`infra:up`: etcd's client port (and the next one, its peer port); the tests' too",
    readBy: INFRA,
  },
  IM_INFRA_PG_PORT: {
    type: "string",
    default: "15432",
    example: "25432",
    meaning: "`infra:up`: PostgreSQL's port; the tests' too",
    readBy: INFRA,
  },
  IM_CLUSTER_TESTS: {
    type: "string",
    default: "",
    example: "1",
    meaning: "`1`: run the tests that need `infra:up` (missing infrastructure then fails them)",
    readBy: ["scripts", "tests"],
  },
  IM_E2E_MODE: {
    type: "string",
    default: "",
    shown: "`embedded`",
    example: "cluster",
    meaning: "`cluster`: the end-to-end suite starts a cluster instead of the embedded mode",
    readBy: ["tests"],
  },
  IM_BROWSER_TESTS: {
    type: "string",
    default: "",
    example: "1",
    meaning: "`1`: a missing chromium fails the browser tests instead of skipping them",
    readBy: ["tests"],
  },
  IM_BROWSER_PATH: {
    type: "string",
    default: "/usr/bin/chromium",
    example: "/usr/bin/chromium-browser",
    meaning: "the chromium the browser tests drive",
    readBy: ["tests"],
  },
  IM_FAULT_TESTS: {
    type: "string",
    default: "",
    example: "1",
    meaning: "`1`: run the fault-injection suite (`deno task test:faults` sets it)",
    readBy: ["tests"],
  },
  IM_FAULT_RATE: {
    type: "string",
    default: "1000",
    example: "500",
    meaning: "messages per second the fault suite sends",
    readBy: ["tests"],
  },
  IM_FAULT_PAIRS: {
    type: "string",
    default: "20",
    example: "10",
    meaning: "friend pairs of the fault suite",
    readBy: ["tests"],
  },
  IM_FAULT_GROUP: {
    type: "string",
    default: "50",
    example: "20",
    meaning: "members of the fault suite's group",
    readBy: ["tests"],
  },
} as const satisfies Record<`IM_${string}`, Variable>;

/** The name of a declared variable. */
export type VariableName = keyof typeof VARIABLES;

type ValueOf<V> = V extends { type: "int" } ? number
  : V extends { type: "list" } ? string[]
  : V extends { type: "rate" } ? RateLimit
  : string;

/** Every variable's value, parsed. */
export type Values = { -readonly [K in VariableName]: ValueOf<(typeof VARIABLES)[K]> };

/** A token bucket: `burst` at once, refilled at `rate` per second. */
export interface RateLimit {
  rate: number;
  burst: number;
}
