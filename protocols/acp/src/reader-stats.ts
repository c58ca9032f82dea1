import { RejectionReason } from "@plexus/core";

export interface ReaderCounts {
  accepted: number;
  redelivered: number;
  rejected: Record<RejectionReason, number>;
  rejectedTotal: number;
  handlerErrors: number;
  deadLettered: number;
  /** Direct messages handed out again that this reader's stored receipts report settled: acked, not handed over. */
  settled: number;
}

/** Counters of what an agent's readers did; `snapshot()` is what `agent.stats()` reports. */
export class ReaderStats {
  #accepted = 0;
  #redelivered = 0;
  #handlerErrors = 0;
  #deadLettered = 0;
  #settled = 0;
  readonly #rejected = Object.fromEntries(Object.values(RejectionReason).map((r) => [r, 0])) as Record<
    RejectionReason,
    number
  >;

  accepted(redelivered: boolean): void {
    this.#accepted++;
    if (redelivered) this.#redelivered++;
  }

  rejected(reason: RejectionReason): void {
    this.#rejected[reason]++;
  }

  handlerError(): void {
    this.#handlerErrors++;
  }

  deadLettered(): void {
    this.#deadLettered++;
  }

  settled(): void {
    this.#settled++;
  }

  snapshot(): ReaderCounts {
    const rejected = { ...this.#rejected };
    return {
      accepted: this.#accepted,
      redelivered: this.#redelivered,
      rejected,
      rejectedTotal: Object.values(rejected).reduce((a, b) => a + b, 0),
      handlerErrors: this.#handlerErrors,
      deadLettered: this.#deadLettered,
      settled: this.#settled,
    };
  }
}
