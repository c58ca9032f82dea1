import { parseEvent, type ParsedEvent } from "@plexus/anp";
import { isPlexusError } from "@plexus/core";
import { verifySignature } from "@plexus/identity";
import { AcpObserver } from "./acp-observer.js";
import type { RegistryState } from "./registry-state.js";

export interface LogMessage {
  subject: string;
  data: Uint8Array;
  /** Mesh stream sequence. */
  seq: number;
  /** Stream timestamp in ms (set by the server). */
  time: number;
}

/**
 * Applies the mesh log to the registry state, one message at a time in stream order. Never throws for what it
 * reads: a registry event that fails its schema or signature, or a message it cannot parse, is counted and skipped.
 */
export class Projector {
  readonly state: RegistryState;
  readonly #acp: AcpObserver;
  readonly #prefix: string;
  readonly #registryPrefix: string;

  /** `trustedRegistries`: the registry DIDs trusted from the start; rotations in the log add their successors. */
  constructor(state: RegistryState, mesh: string, trustedRegistries: Iterable<string>) {
    this.state = state;
    this.#acp = new AcpObserver(state);
    this.#prefix = `plexus.${mesh}.`;
    this.#registryPrefix = `plexus.${mesh}.registry.`;
    state.identity.trustRegistries(trustedRegistries);
  }

  /** Applies one message, checking a registry event's signature on this thread. */
  apply(m: LogMessage): void {
    const p = this.prepare(m);
    this.commit(p, p.parsed ? verifySignature(p.parsed.event.by, p.parsed.signed, p.parsed.signature) : true);
  }

  /**
   * The part of applying that needs no order: parsing a registry event and checking its schema. Its signer's trust and its
   * signature are left to `commit` and to the caller (the follower verifies many at once on the crypto worker).
   */
  prepare(m: LogMessage): Prepared {
    if (!m.subject.startsWith(this.#registryPrefix)) return { m, parsed: undefined, error: undefined };
    try {
      return { m, parsed: parseEvent(m.data, undefined), error: undefined };
    } catch (err) {
      return { m, parsed: undefined, error: isPlexusError(err) ? err.code : "other" };
    }
  }

  /** Applies a prepared message, in stream order; `signatureOk` is the verdict on a registry event's signature. */
  commit(p: Prepared, signatureOk: boolean): void {
    const s = this.state;
    const m = p.m;
    if (m.seq <= s.seq) return;
    s.seq = m.seq;
    if (m.time > s.clock) s.clock = m.time;
    try {
      this.#commit(p, signatureOk);
    } catch {
      // Whatever a message made go wrong, it is counted and passed: the log's next position must still apply.
      s.count("invalidEvents.UNPROCESSABLE");
    }
  }

  #commit(p: Prepared, signatureOk: boolean): void {
    const s = this.state;
    const m = p.m;
    if (p.parsed) {
      // Trust is checked here, in log order: a registry key rotation earlier in the log changes it.
      if (!s.identity.acceptsRegistry(p.parsed.event.by, m.seq)) s.count("invalidEvents.UNTRUSTED_REGISTRY");
      else if (signatureOk) s.applyEvent(p.parsed.event, m.seq, s.clock);
      else s.count("invalidEvents.SIGNATURE_INVALID");
    } else if (p.error !== undefined) {
      s.count(`invalidEvents.${p.error}`);
    } else if (m.subject.startsWith(this.#prefix)) {
      this.#observe(m);
    }
    this.#acp.expire(s.clock);
  }

  #observe(m: LogMessage): void {
    const s = this.state;
    const parts = m.subject.slice(this.#prefix.length).split(".");
    const [area, kind, target, from] = parts;
    if (area === "acp" && parts.length === 4 && target !== undefined && from !== undefined) {
      if (kind === "inbox" || kind === "reply") this.#acp.direct(kind, from, target, m.data, m.seq, s.clock);
      else if (kind === "receipt") this.#acp.receipt(from, target, m.data, s.clock);
    } else if (area === "ops" && parts.length === 3 && target !== undefined) {
      if (kind === "rejected") this.#acp.rejected(target, m.data, s.clock);
      else if (kind === "dead") this.#acp.dead(target, m.data, s.clock);
    }
  }
}

/** A log message made ready to apply: a parsed registry event (signature pending), a refused one, or anything else. */
export interface Prepared {
  m: LogMessage;
  parsed: ParsedEvent | undefined;
  /** Why a registry event was refused (a PlexusError code), when it was. */
  error: string | undefined;
}
