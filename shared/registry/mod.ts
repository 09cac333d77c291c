/**
 * The registry port: which connect servers exist and how to reach them.
 * Static in one process; etcd leases in a cluster, where a server that stops
 * renewing its lease disappears.
 */
import type { ConnectService } from "../rpc/connect.ts";

/** The registry port. */
export interface Registry {
  /** Ids of the live connect servers. */
  connectServers(): string[];
  /** The service of one connect server, if it is live. */
  connect(serverId: string): ConnectService | undefined;
  /** The WebSocket URL a client should open (balanced over live servers). */
  connectUrl(): string;
  close(): Promise<void>;
}
