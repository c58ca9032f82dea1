/** Defaults shared by every process of a mesh. Each can be overridden where it is used. */
export const Defaults = {
  mesh: "default",
  natsUrl: "nats://127.0.0.1:4222",
  /** Largest envelope (bytes of its JSON) a sender may send and a consumer accepts. */
  maxEnvelopeBytes: 128 * 1024,
  /** Window in which JetStream drops a re-published Nats-Msg-Id, and in which consumers remember seen ids. */
  duplicateWindowMs: 2 * 60_000,
  /** How far the sender's `ts` may be from the time the stream stored it before the envelope counts as stale. */
  maxClockSkewMs: 2 * 60_000,
  /** Attempts a handler gets at a message before it is dead-lettered. */
  maxAttempts: 5,
  /** Redelivery backoff after a handler failure, per attempt (the last value repeats). */
  backoffMs: [250, 1_000, 5_000, 15_000, 30_000] as readonly number[],
  /** How long a receiver gathers receipts before it signs one cumulative receipt per sender. */
  receiptFlushMs: 10,
  requestTimeoutMs: 10_000,
  /**
   * How long one pull of a consumer waits on the server (`expires`; the client's idle heartbeat is half of it). On a
   * cluster a pull is lost when the consumer's leader changes, and the client notices only after two missed
   * heartbeats: with nats.js's 30 s default a reader stood still 30–45 s after a server died; with 5 s, about 5–12 s.
   */
  pullExpiresMs: 5_000,
} as const;
