import type { NatsConnection } from "@nats-io/transport-node";
import { Defaults } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { AgentNatsAuth } from "./nats-session.js";

/** See AgentOptions.ackWaitMs. */
const DEFAULT_ACK_WAIT_MS = 10_000;

export interface AgentOptions {
  /** The agent's identity. */
  key: KeyPair;
  /** NATS server URL(s), or a connection the caller owns (it is not closed by `agent.close()`). */
  nats?: string | string[] | NatsConnection;
  /**
   * A NATS server in operator mode: the mesh's bootstrap credentials (or the auth folder holding them). The agent
   * then gets its own short-lived user JWT from the registry and renews it. Ignored when `nats` is a connection.
   */
  natsAuth?: AgentNatsAuth;
  mesh?: string;
  /** Largest envelope this agent sends or accepts (bytes). */
  maxEnvelopeBytes?: number;
  /** Deliveries a handler gets at a message before it is dead-lettered. */
  maxAttempts?: number;
  /** Redelivery delays after handler failures, by attempt; the last repeats. */
  backoffMs?: readonly number[];
  /**
   * Server-side redelivery timer for a message whose reader vanished, or that was lost on its way to the reader with a
   * server that died (ms; default 10 s). A message being worked on (queued, handled, its receipt being stored) is kept
   * alive every half of it, so a long handler is never redelivered meanwhile.
   */
  ackWaitMs?: number;
  /** How long receipts are gathered before one cumulative receipt is signed per sender (ms). */
  receiptFlushMs?: number;
  /** How long a send keeps retrying through a server outage (ms). */
  publishTimeoutMs?: number;
  /** Envelopes whose ts is further than this from their stored time are refused as stale (ms). */
  maxClockSkewMs?: number;
  /** Called with errors that have no caller to throw to (a receipt that could not be stored, say). */
  onError?: (err: unknown) => void;
}

export type ResolvedAgentOptions = Required<Omit<AgentOptions, "nats" | "natsAuth" | "onError">> &
  Pick<AgentOptions, "nats" | "natsAuth" | "onError">;

/** Fills in defaults without touching the caller's object. */
export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  return {
    key: options.key,
    nats: options.nats,
    natsAuth: options.natsAuth,
    mesh: options.mesh ?? Defaults.mesh,
    maxEnvelopeBytes: options.maxEnvelopeBytes ?? Defaults.maxEnvelopeBytes,
    maxAttempts: options.maxAttempts ?? Defaults.maxAttempts,
    backoffMs: options.backoffMs ?? Defaults.backoffMs,
    ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
    receiptFlushMs: options.receiptFlushMs ?? Defaults.receiptFlushMs,
    publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
    maxClockSkewMs: options.maxClockSkewMs ?? Defaults.maxClockSkewMs,
    onError: options.onError,
  };
}
