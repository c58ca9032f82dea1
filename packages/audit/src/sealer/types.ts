/**
 * The sealer's public shapes: what `startSealer` takes (SealerOptions), what a running sealer answers (Sealer,
 * SealerStats) and how it says why it does not seal as it should (SealerProblem).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { KeyPair } from "@plexus/identity";
import type { AuditStore, ChainHead } from "../types.js";
import type { KeepUpOptions } from "./keep-up.js";

export interface SealerOptions {
  nc: NatsConnection;
  mesh: string;
  store: AuditStore;
  /** The registry's key: it signs the checkpoints. */
  key: KeyPair;
  /** Sign a checkpoint after this many new links (default 1000)... */
  checkpointEvery?: number;
  /** ...or after this long when the head moved (ms, default 5000). */
  checkpointIntervalMs?: number;
  /** Appends in flight at once (default 1024). */
  pipeline?: number;
  /**
   * Errors the sealer survives (it retries), and the ones it does not: AUDIT_FORK, and a refused history stream
   * (HISTORY_STREAM_*), after which it has stopped.
   */
  onError?: (err: unknown) => void;
  /** Folder where the streams' creation times are remembered across restarts (default: in memory only). */
  historyDir?: string;
  /** How often the streams are checked again (ms; default 2 s; 0: only at start and after reconnects). */
  historyCheckMs?: number;
  /**
   * How often the sealer reads the log's end and judges whether it keeps up (ms; default 1 s; 0: never). The same
   * reading is the log reader's watchdog: behind the end with nothing read for 3 s, it follows again (one `log` line).
   */
  watchMs?: number;
  /** When a running sealer counts as stuck or behind (keep-up.ts). */
  keepUp?: KeepUpOptions;
  /** One line for people: things the sealer recovers from by itself (the log reader's watchdog restarts). */
  log?: (line: string) => void;
  /** Called when a stalled sealer seals normally again (the stall itself went to onError). */
  onRecovered?: () => void;
  /** The log's name in checkpoint notes (C2SP tlog-checkpoint origin; default `plexus.mesh/<mesh>`). */
  origin?: string;
  /** Keep the Merkle tree, its tiles and checkpoint notes (default true; false: the hash chain only). */
  merkleTree?: boolean;
}

export interface SealerStats {
  /** Links this sealer appended. */
  sealed: number;
  /** Links read back after a conflict and found equal to this sealer's (mostly another sealer's appends). */
  verified: number;
  /** Appends refused because another writer had taken the position. */
  conflicts: number;
  /** Checkpoints this sealer signed and stored. */
  checkpoints: number;
  /** The chain head this sealer has confirmed (stored, and equal to what it computed). */
  head: ChainHead;
  /** Mesh events seen but not yet confirmed in the chain. */
  lagEvents: number;
  /** "stalled": running, but stuck or behind (see `problem`); "failed" and "refused" are final. */
  state: "running" | "stalled" | "stopped" | "failed" | "refused";
  /** Why a history stream was refused (state "refused"): its HISTORY_STREAM_* code, the stream, the reason. */
  refusal?: { code: string; stream: string; reason: string };
  /** Why the sealer is not sealing as it should (states "stalled", "failed", "refused"): a stable code, words, since when. */
  problem?: SealerProblem;
}

export interface SealerProblem {
  code: string;
  reason: string;
  /** Epoch ms when it began. */
  since: number;
}

export interface Sealer extends AsyncDisposable {
  /** Resolves when the chain covers the mesh log as it is when called; rejects if the sealer stops or fails first. */
  caughtUp(): Promise<void>;
  stats(): SealerStats;
  /** Finishes the appends in flight, signs a last checkpoint if the head moved, and stops. */
  stop(): Promise<void>;
}
