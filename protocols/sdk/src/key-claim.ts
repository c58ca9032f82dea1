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
 *
 * Every probe, answer and announcement is signed with the key itself and carries the time it was sent: whoever else
 * can publish on the subject (the mesh's services; anyone on an open server) cannot forge one to make an agent give way,
 * and a captured one is stale after FRESH_MS.
 */
import { randomBytes } from "node:crypto";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { agentToken, canonicalBytes, ErrorCode, parseJson, PlexusError } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";

const PROBE_TIMEOUT_MS = 5_000;
const ANNOUNCE_WAIT_MIN_MS = 20;
/** How far a claim message's send time may be from the reader's clock. */
const FRESH_MS = 30_000;
const encoder = new TextEncoder();

interface Instance {
  instance: string;
  startedAt: number;
}

/** A probe is refused by any answer; an announcement comes from one that passed its probe, so a tie is broken. */
type Phase = "probe" | "announce" | "answer";

interface ClaimMessage extends Instance {
  phase: Phase;
  at: number;
  sig: string;
}

function signedBytes(did: string, mesh: string, m: Omit<ClaimMessage, "sig">): Uint8Array {
  return canonicalBytes({
    domain: "plexus.key-claim",
    did,
    mesh,
    instance: m.instance,
    startedAt: m.startedAt,
    phase: m.phase,
    at: m.at,
  });
}

function encode(key: KeyPair, mesh: string, me: Instance, phase: Phase): Uint8Array {
  const unsigned = { ...me, phase, at: Date.now() };
  return encoder.encode(JSON.stringify({ ...unsigned, sig: key.signBase64url(signedBytes(key.did, mesh, unsigned)) }));
}

/** A claim message signed by the key `did` and sent within FRESH_MS of now, or undefined for anything else. */
function parse(did: string, mesh: string, data: Uint8Array): (Instance & { phase: Phase }) | undefined {
  const read = parseJson(data, { maxBytes: 1_024 });
  const v = read.ok ? (read.value as Partial<ClaimMessage> | null) : undefined;
  if (
    typeof v?.instance !== "string" ||
    typeof v.startedAt !== "number" ||
    typeof v.at !== "number" ||
    typeof v.sig !== "string"
  )
    return undefined;
  if (v.phase !== "probe" && v.phase !== "announce" && v.phase !== "answer") return undefined;
  if (Math.abs(Date.now() - v.at) > FRESH_MS) return undefined;
  const m = { instance: v.instance, startedAt: v.startedAt, phase: v.phase, at: v.at };
  if (!verifySignature(did, signedBytes(did, mesh, m), Buffer.from(v.sig, "base64url"))) return undefined;
  return { instance: m.instance, startedAt: m.startedAt, phase: m.phase };
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
  readonly #key: KeyPair;
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

  private constructor(nc: NatsConnection, key: KeyPair, mesh: string, onLost: (err: PlexusError) => void) {
    const did = key.did;
    this.#nc = nc;
    this.#key = key;
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
  static async take(
    nc: NatsConnection,
    key: KeyPair,
    mesh: string,
    onLost: (err: PlexusError) => void,
  ): Promise<KeyClaim> {
    const claim = new KeyClaim(nc, key, mesh, onLost);
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
      const reply = await this.#nc.request(this.#subject, encode(this.#key, this.#mesh, this.#me, "probe"), {
        timeout: PROBE_TIMEOUT_MS,
      });
      answer = parse(this.#did, this.#mesh, reply.data);
    } catch (err) {
      if ((err as { isNoResponders?: () => boolean }).isNoResponders?.()) return;
      if ((err as { name?: string }).name === "TimeoutError")
        throw keyInUse(this.#did, this.#mesh, "a process holds the key but did not answer");
      throw err;
    }
    // Only an answer signed by this key means it is in use; anything else on this subject is someone else's noise.
    if (!answer) return;
    throw keyInUse(
      this.#did,
      this.#mesh,
      `instance ${answer.instance}, running since ${new Date(answer.startedAt).toISOString()}`,
    );
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
          const other = parse(this.#did, this.#mesh, m.data);
          if (!other || other.instance === this.#me.instance) return;
          try {
            if (m.reply) m.respond(encode(this.#key, this.#mesh, this.#me, "answer"));
          } catch {
            // The connection is closing: nothing to answer with.
          }
          // A prober is refused by this answer; only one that passed its probe competes for the key.
          if (other.phase === "announce") this.#met(other);
        },
      }),
      this.#nc.subscribe(reply, {
        callback: (_err, m) => {
          const other = parse(this.#did, this.#mesh, m.data);
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
    if (!this.#released)
      this.#nc.publish(this.#subject, encode(this.#key, this.#mesh, this.#me, "announce"), { reply });
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
    this.#lost = keyInUse(
      this.#did,
      this.#mesh,
      `instance ${other.instance} started at ${new Date(other.startedAt).toISOString()}, before this one`,
    );
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
