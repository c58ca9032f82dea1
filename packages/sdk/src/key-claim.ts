/**
 * One key, one process. An agent's outbox keeps each channel's `seq`/`prev` chain in memory and its ReceiptBatcher
 * signs receipts on its own channels, so two processes sending with one key would both take the same next seq and
 * fork the chain (the receiver then sees two envelopes for one seq, and refuses the second as a replay). A JetStream
 * compare-and-set per publish (expected last subject sequence) would serialise every channel to one publish per
 * round trip, so Plexus refuses the second process instead, with KEY_IN_USE, before it first signs on a channel of
 * its own (Agent: first send, publish, reply or listen).
 *
 * How: every running agent answers on a subject only its key can use (`_INBOX.<token>.plexus-key.<mesh>`, under the
 * agent's own reply-inbox prefix, which in operator mode no other agent may publish or subscribe to). A claiming
 * agent first asks that subject with no-responders detection: an answer means the key is in use (refused); "no
 * responders" means it is free, at the cost of one round trip. It then answers there itself and announces itself once,
 * and again after every reconnect. Two processes that claim within the same round trip both pass the first check and
 * find each other by the announcements; the later one (by start time, then instance id) gives way with KEY_IN_USE.
 * The claim waits max(20 ms, 4 round trips) after announcing, so the loser normally gives way before it signed
 * anything; if an announcement comes later than that, the loser is closed then (its sends fail with KEY_IN_USE).
 * The answers come from core NATS interest, so a SIGKILLed process stops holding its key as soon as the server sees
 * its connection close (at once on one host; after the server's ping timeout, 2 × 2 minutes by default, when the
 * host itself died).
 */
import { randomBytes } from "node:crypto";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { agentToken, ErrorCode, parseJson, PlexusError } from "@plexus/core";

const PROBE_TIMEOUT_MS = 5_000;
const ANNOUNCE_WAIT_MIN_MS = 20;
const encoder = new TextEncoder();

interface Instance {
  instance: string;
  startedAt: number;
}

/** A probe is refused by any answer; an announcement comes from one that passed its probe, so a tie is broken. */
type Phase = "probe" | "announce";

function parse(data: Uint8Array): (Instance & { phase?: Phase }) | undefined {
  const read = parseJson(data, { maxBytes: 1_024 });
  const v = read.ok ? (read.value as Partial<Instance & { phase: Phase }> | null) : undefined;
  if (typeof v?.instance !== "string" || typeof v.startedAt !== "number") return undefined;
  return { instance: v.instance, startedAt: v.startedAt, ...(v.phase === "announce" ? { phase: v.phase } : {}) };
}

/** Earlier start wins; the instance id breaks a tie. */
function outranks(a: Instance, b: Instance): boolean {
  return a.startedAt < b.startedAt || (a.startedAt === b.startedAt && a.instance < b.instance);
}

export function keyInUse(did: string, mesh: string, detail: string): PlexusError {
  return new PlexusError(
    ErrorCode.KeyInUse,
    `the key ${did} is already in use by another running agent on mesh "${mesh}" (${detail}): one key may run in one process at a time, ` +
      `since two would fork its message chains; stop the other process first`,
    { details: { did, mesh } },
  );
}

export class KeyClaim {
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #me: Instance;
  readonly #subs: Subscription[] = [];
  readonly #onLost: (err: PlexusError) => void;
  readonly #did: string;
  readonly #mesh: string;
  #released = false;
  #taken = false;
  #lost: PlexusError | undefined;
  #status: { stop?: () => void } | undefined;

  private constructor(nc: NatsConnection, did: string, mesh: string, onLost: (err: PlexusError) => void) {
    this.#nc = nc;
    this.#did = did;
    this.#mesh = mesh;
    this.#subject = `_INBOX.${agentToken(did)}.plexus-key.${mesh}`;
    this.#me = { instance: randomBytes(9).toString("base64url"), startedAt: Date.now() };
    this.#onLost = onLost;
  }

  /**
   * Claims `did` on `mesh` for this process, or throws KEY_IN_USE. `onLost` is called (once) when a process that
   * started at the same time wins the claim after all.
   */
  static async take(nc: NatsConnection, did: string, mesh: string, onLost: (err: PlexusError) => void): Promise<KeyClaim> {
    const claim = new KeyClaim(nc, did, mesh, onLost);
    await claim.#probe();
    const rtt = await claim.#hold();
    // A process that passed its probe in the same moment announces itself within a round trip or two: wait that long
    // before the first signature, so the later of the two gives way before it signed anything.
    await new Promise((r) => setTimeout(r, Math.max(ANNOUNCE_WAIT_MIN_MS, 4 * rtt)));
    // Whatever the server sent before this round trip's answer has been read by the time it resolves.
    await nc.flush();
    if (claim.#lost) throw claim.#lost;
    claim.#taken = true;
    return claim;
  }

  async #probe(): Promise<void> {
    let answer: Instance | undefined;
    try {
      const reply = await this.#nc.request(this.#subject, encoder.encode(JSON.stringify({ ...this.#me, phase: "probe" })), { timeout: PROBE_TIMEOUT_MS });
      answer = parse(reply.data);
    } catch (err) {
      if ((err as { isNoResponders?: () => boolean }).isNoResponders?.()) return;
      if ((err as { name?: string }).name === "TimeoutError") throw keyInUse(this.#did, this.#mesh, "a process holds the key but did not answer");
      throw err;
    }
    throw keyInUse(this.#did, this.#mesh, answer ? `instance ${answer.instance}, running since ${new Date(answer.startedAt).toISOString()}` : "it answered");
  }

  /**
   * Answers probes and announcements from now on, and announces itself (now and after each reconnect). Resolves with
   * the round trip to the server (ms).
   */
  async #hold(): Promise<number> {
    const reply = `${this.#subject}.${this.#me.instance}`;
    this.#subs.push(
      this.#nc.subscribe(this.#subject, {
        callback: (_err, m) => {
          const other = parse(m.data);
          if (!other || other.instance === this.#me.instance) return;
          try {
            if (m.reply) m.respond(encoder.encode(JSON.stringify(this.#me)));
          } catch {
            // The connection is closing: nothing to answer with.
          }
          // A prober is refused by this answer; only one that passed its probe competes for the key.
          if (other.phase === "announce") this.#met(other);
        },
      }),
      this.#nc.subscribe(reply, {
        callback: (_err, m) => {
          const other = parse(m.data);
          if (other && other.instance !== this.#me.instance) this.#met(other);
        },
      }),
    );
    const t0 = performance.now();
    await this.#nc.flush();
    const rtt = performance.now() - t0;
    this.#announce(reply);
    void this.#watchReconnects(reply);
    return rtt;
  }

  #announce(reply: string): void {
    if (!this.#released) this.#nc.publish(this.#subject, encoder.encode(JSON.stringify({ ...this.#me, phase: "announce" })), { reply });
  }

  async #watchReconnects(reply: string): Promise<void> {
    try {
      const status = this.#nc.status();
      this.#status = status as { stop?: () => void };
      for await (const s of status) {
        if (this.#released) return;
        if (s.type === "reconnect") this.#announce(reply);
      }
    } catch {
      // The connection closed: nothing left to hold.
    }
  }

  /** Another process runs this key: the later one gives way. */
  #met(other: Instance): void {
    if (this.#released || outranks(this.#me, other)) return;
    void this.release();
    this.#lost = keyInUse(this.#did, this.#mesh, `instance ${other.instance} started at ${new Date(other.startedAt).toISOString()}, before this one`);
    if (this.#taken) this.#onLost(this.#lost);
  }

  /** Stops answering for the key; resolves once the server knows (so a successor's question finds no one). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    this.#status?.stop?.();
    if (!this.#nc.isClosed()) await this.#nc.flush().catch(() => undefined);
  }
}
