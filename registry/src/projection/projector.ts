import { parseEvent, type ParsedEvent } from "@plexus/anp/internal";
import { checkInbound, type InboundCheckOptions, type InboundResult } from "@plexus/acp";
import { checkInboundAsync, checkInboundUnsigned } from "@plexus/acp/internal";
import { isPlexusError, meshSubjects, type MeshSubjects } from "@plexus/core";
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
  readonly #subjects: MeshSubjects;

  /** `trustedRegistries`: the registry DIDs trusted from the start; rotations in the log add their successors. */
  constructor(state: RegistryState, mesh: string, trustedRegistries: Iterable<string>) {
    this.state = state;
    this.#subjects = meshSubjects(mesh);
    this.#acp = new AcpObserver(state, this.#subjects.stream);
    this.#prefix = `plexus.${mesh}.`;
    this.#registryPrefix = `plexus.${mesh}.registry.`;
    state.identity.trustRegistries(trustedRegistries);
  }

  /** Applies one message, checking a registry event's or a direct message's signature on this thread. */
  apply(m: LogMessage): void {
    const p = this.prepare(m);
    if (p.inbound && p.verdict === undefined) p.verdict = checkInbound(p.inbound.input, p.inbound.options);
    this.commit(p, p.parsed ? verifySignature(p.parsed.event.by, p.parsed.signed, p.parsed.signature) : true);
  }

  /**
   * The part of applying that needs no order: parsing a registry event and checking its schema, or checking a direct
   * message or receipt. Signatures are left to `commit` and to the caller (the follower verifies many at once: registry
   * events on the crypto worker, messages with `checkInbound` below). Where publishers are pinned (operator mode) a
   * receipt's publisher is proven by its subject, and only its shape is checked here, at once: its signature proves
   * nothing more. A direct message's still matters: a request its addressee could not accept (a bad signature) must not
   * count against the addressee when it goes unanswered, and a message the conversation index records must be one a
   * rating's admission will find signed (else a junk-signed first reply would make the conversation unratable).
   */
  prepare(m: LogMessage): Prepared {
    if (!m.subject.startsWith(this.#registryPrefix)) {
      const inbound = this.#inbound(m);
      if (inbound && this.state.options.pinnedPublishers && inbound.kind === "receipt") {
        return {
          m,
          parsed: undefined,
          error: undefined,
          inbound,
          verdict: checkInboundUnsigned(inbound.input, inbound.options),
        };
      }
      return { m, parsed: undefined, error: undefined, inbound };
    }
    try {
      return { m, parsed: parseEvent(m.data, undefined), error: undefined };
    } catch (err) {
      return { m, parsed: undefined, error: isPlexusError(err) ? err.code : "other" };
    }
  }

  /** The registry's verdict on a prepared direct message or receipt, every reader check included, off this thread. */
  static checkInbound(p: Prepared): Promise<InboundResult> {
    return p.inbound
      ? checkInboundAsync(p.inbound.input, p.inbound.options)
      : Promise.reject(new Error("not a message to check"));
  }

  /** The reader checks a direct message or receipt gets, as its addressee would make them; undefined for anything else. */
  #inbound(m: LogMessage): Prepared["inbound"] {
    const parts = m.subject.slice(this.#prefix.length).split(".");
    const [area, kind, target] = parts;
    if (
      area !== "acp" ||
      parts.length !== 4 ||
      target === undefined ||
      (kind !== "inbox" && kind !== "reply" && kind !== "receipt")
    )
      return undefined;
    return {
      kind,
      input: { subject: m.subject, data: m.data, storedAt: m.time },
      options: { subjects: this.#subjects, me: target, hash: false },
    };
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
      this.#observe(m, p.verdict);
    }
    this.#acp.expire(s.clock);
  }

  #observe(m: LogMessage, verdict: InboundResult | undefined): void {
    const s = this.state;
    const parts = m.subject.slice(this.#prefix.length).split(".");
    const [area, kind, target, from] = parts;
    if (area === "acp" && parts.length === 4 && target !== undefined && from !== undefined && verdict !== undefined) {
      if (kind === "inbox" || kind === "reply") this.#acp.direct(kind, from, target, verdict, m.seq, s.clock);
      else if (kind === "receipt") this.#acp.receipt(from, target, verdict, s.clock);
    } else if (area === "ops" && parts.length === 3 && target !== undefined) {
      if (kind === "rejected") this.#acp.rejected(target, m.data);
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
  /** For a direct message or receipt: the checks its addressee makes, and (set before commit) their verdict. */
  inbound?: {
    kind: "inbox" | "reply" | "receipt";
    input: { subject: string; data: Uint8Array; storedAt: number };
    options: InboundCheckOptions;
  };
  /** Set by `prepare` when no signature needs checking, else by the caller before commit. */
  verdict?: InboundResult;
}
