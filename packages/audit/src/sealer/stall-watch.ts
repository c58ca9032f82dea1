/**
 * The sealer never stops silently: every `watchMs` this reads the mesh log's end itself (the reader may be what
 * stopped) and asks KeepUpJudge (keep-up.ts) whether the sealer is stuck or cannot keep up. A stall is reported once
 * (AUDIT_SEALER_STALLED through the host's `report`) and held in `stall`; `onRecovered` when it seals normally again.
 * The end it read also goes to `sawLogEnd`: the reader's watchdog (reader.ts `watch`).
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, meshSubjects, PlexusError } from "@plexus/core";
import { KeepUpJudge, type KeepUpOptions } from "./keep-up.js";
import type { SealerProblem } from "./types.js";

export const DEFAULT_WATCH_MS = 1_000;

export interface StallWatchHost {
  nc: NatsConnection;
  mesh: string;
  keepUp?: KeepUpOptions;
  onRecovered?: () => void;
  /** Whether the sealer is running (only a running sealer is judged). */
  running(): boolean;
  confirmedSize(): number;
  logEnd(): number;
  raiseLogEnd(end: number): void;
  /** The log's end was just read (the reader's watchdog). */
  sawLogEnd?(end: number): void;
  report(err: unknown): void;
}

export class StallWatch {
  readonly #host: StallWatchHost;
  readonly #judge: KeepUpJudge;
  #watch: NodeJS.Timeout | undefined;
  #watching = false;
  #jsm: Promise<JetStreamManager> | undefined;
  /** The current stall of a running sealer (stuck or behind), if any. */
  stall: SealerProblem | undefined;

  constructor(host: StallWatchHost) {
    this.#host = host;
    this.#judge = new KeepUpJudge(host.keepUp);
  }

  /** Judges every `every` ms (0: never). */
  start(every: number): void {
    if (every > 0) {
      this.#watch = setInterval(() => void this.judge(), every);
      this.#watch.unref();
    }
  }

  stop(): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
  }

  /** Reads the log's end (the reader may be what stopped) and judges whether the sealer keeps up. */
  async judge(): Promise<void> {
    const host = this.#host;
    if (this.#watching || !host.running()) return;
    this.#watching = true;
    try {
      const jsm = await (this.#jsm ??= jetstreamManager(host.nc, { checkAPI: false }));
      const end = (await jsm.streams.info(meshSubjects(host.mesh).stream)).state.last_seq;
      host.raiseLogEnd(end);
      if (host.running()) host.sawLogEnd?.(end);
    } catch {
      // No answer (a disconnect, a missing stream): judged on what is known; the guard reports a missing stream.
    } finally {
      this.#watching = false;
    }
    if (!host.running()) return;
    const stall = this.#judge.sample(Date.now(), host.confirmedSize(), host.logEnd());
    if (stall && !this.stall) {
      this.stall = { code: ErrorCode.AuditSealerStalled, reason: stall.reason, since: Date.now() };
      host.report(
        new PlexusError(ErrorCode.AuditSealerStalled, `the sealer is stalled: ${stall.reason}`, {
          details: { kind: stall.kind, reason: stall.reason, lag: stall.lag },
        }),
      );
    } else if (stall && this.stall) {
      this.stall.reason = stall.reason;
    } else if (!stall && this.stall) {
      this.stall = undefined;
      try {
        host.onRecovered?.();
      } catch {
        // a failing handler must not stop the sealer
      }
    }
  }
}
