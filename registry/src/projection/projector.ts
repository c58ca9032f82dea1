import { decodeEvent } from "@plexus/anp";
import { isPlexusError } from "@plexus/core";
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
  readonly #trusted: ReadonlySet<string>;

  constructor(state: RegistryState, mesh: string, trustedRegistries: ReadonlySet<string>) {
    this.state = state;
    this.#acp = new AcpObserver(state);
    this.#prefix = `plexus.${mesh}.`;
    this.#trusted = trustedRegistries;
  }

  apply(m: LogMessage): void {
    const s = this.state;
    if (m.seq <= s.seq) return;
    s.seq = m.seq;
    if (m.time > s.clock) s.clock = m.time;
    if (!m.subject.startsWith(this.#prefix)) return;
    const parts = m.subject.slice(this.#prefix.length).split(".");
    const [area, kind, target, from] = parts;
    if (area === "registry") {
      try {
        s.applyEvent(decodeEvent(m.data, this.#trusted), m.seq, s.clock);
      } catch (err) {
        s.count(isPlexusError(err) ? `invalidEvents.${err.code}` : "invalidEvents.other");
      }
    } else if (area === "acp" && parts.length === 4 && target !== undefined && from !== undefined) {
      if (kind === "inbox" || kind === "reply") this.#acp.direct(kind, from, target, m.data, m.seq, s.clock);
      else if (kind === "receipt") this.#acp.receipt(from, target, m.data, s.clock);
    } else if (area === "ops" && parts.length === 3 && target !== undefined) {
      if (kind === "rejected") this.#acp.rejected(target, m.data, s.clock);
      else if (kind === "dead") this.#acp.dead(target, m.data, s.clock);
    }
    this.#acp.expire(s.clock);
  }
}
