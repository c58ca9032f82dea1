/**
 * The writer lease: which of the sealers of a mesh writes; the others stand by. One KV key (`lease` in the sealers
 * bucket) holding `{ type, mesh, id, at, prev }`: the holder's id, the time of its renewal and the key revision it
 * replaced, signed by the holder's key (signed-record.ts), renewed every beat with a compare-and-set on its revision.
 * The type and the mesh keep a value from passing for another (a presence record; a value of another mesh the same
 * key signs for). A holder whose renewal fails believes the new value only when it replaced the holder's own last one
 * (`prev`): a copy of an older value, whoever it names, does not make a writer stand down.
 *
 * The bucket is writable by every holder of the mesh's service credentials, so a value counts only when it is signed
 * by a trusted key (the sealer's own key and those given: the registry key and its successors) and is fresh: since the
 * reader first saw that holder, the holder's signed time has kept pace with the reader's own clock to within `ttlMs`
 * (only differences are compared, never two hosts' clocks). A holder that stopped renewing falls behind and goes stale;
 * so do genuine values copied back by someone else, frozen or replayed in order from a captured history (a renewal a
 * second, replayed slower than that). A captured history replayed at the pace it was written would hold standbys off
 * for as long as it lasts: that, and any other way of keeping the lease from a sealer, is bounded by the standbys'
 * judgment of the writer from the chain (writer-watch.ts), not by the lease. A value that is unsigned,
 * signed by another key, or stale does not hold anything: the sealer takes the lease, and writes even when someone
 * keeps overwriting the key faster than it can (`forgery` says why, for the log).
 *
 * The lease is for efficiency, not safety: two sealers that both believe they write are still safe, because every
 * append states the chain size it expects (optimistic concurrency, sealer.ts) and a sealer reads back and compares what
 * another wrote. `seize()` is for a standby that saw the holder make no progress (writer-watch.ts).
 */
import type { KV } from "@nats-io/kv";
import type { KeyPair } from "@plexus/identity";
import { signRecord, trustedRecord } from "./signed-record.js";

const KEY = "lease";
/** Read-judge-write rounds per beat when others write the key in between. */
const ROUNDS = 3;

export interface LeaseOptions {
  kv: KV;
  /** The mesh whose sealers share this lease: a value for another mesh (the same key may sign for several) holds nothing. */
  mesh: string;
  /** This sealer's id. */
  id: string;
  /** Signs this sealer's lease values. */
  key: KeyPair;
  /** Keys whose lease values count, besides `key` (the registry key's lineage). */
  trusted?: Iterable<string>;
  /** A holder whose signed time has not moved for this long (ms) may be replaced. */
  ttlMs: number;
  now?: () => number;
}

/** What a lease value is, so that no other record signed by the same key (a presence record) passes for one. */
export const LEASE_TYPE = "plexus.sealer-lease";

export interface LeaseValue {
  type: typeof LEASE_TYPE;
  mesh: string;
  id: string;
  at: number;
  /** The revision of the key this value replaced (0: it created the key). */
  prev: number;
}

/** A lease value as a sealer writes it (signed by its key). */
export function signLease(key: KeyPair, value: Omit<LeaseValue, "type">): string {
  return JSON.stringify(signRecord(key, { type: LEASE_TYPE, ...value }));
}

type Verdict = { kind: "absent" } | { kind: "ours" } | { kind: "held"; holder: string } | { kind: "void"; why: string };

export class WriterLease {
  readonly #o: LeaseOptions;
  readonly #now: () => number;
  readonly #trusted: ReadonlySet<string>;
  /** The revision this sealer wrote last, while its write is the key's current value. */
  #mine: number | undefined;
  /** The revision of this sealer's last successful write (kept when a later write failed). */
  #written: number | undefined;
  /** This sealer writes: it holds the key, or the key's value holds nothing (forged, stale). */
  #held = false;
  /** Per holder seen: its signed time and this sealer's clock at the first sighting, and its highest signed time since. */
  readonly #seen = new Map<string, { at0: number; now0: number; at: number }>();
  #holder: string | undefined;
  #forgery: string | undefined;
  /** The signed time of this sealer's last value (values' times only grow, whatever the clock does). */
  #lastAt = 0;

  constructor(o: LeaseOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#trusted = new Set([o.key.did, ...(o.trusted ?? [])]);
  }

  get held(): boolean {
    return this.#held;
  }

  /** The holder as last seen (undefined: none seen, or this sealer). */
  get holder(): string | undefined {
    return this.#held ? this.#o.id : this.#holder;
  }

  /** Why the key's last value was not believed (unsigned, untrusted signer, stale), while it is not. */
  get forgery(): string | undefined {
    return this.#forgery;
  }

  /**
   * One beat: renews the lease when held, else tries to take it. True when this sealer writes afterwards. Throws when
   * the server does not answer (the caller tries again on the next beat; held stays as it was).
   */
  async beat(): Promise<boolean> {
    if (this.#mine !== undefined) {
      try {
        this.#mine = this.#written = await this.#o.kv.update(KEY, this.#value(this.#mine), this.#mine);
        return this.#take(undefined);
      } catch (err) {
        if (!isWrongRevision(err)) throw err;
        // Someone wrote the key (or our last renewal landed though its answer was lost): judge what is there.
        this.#mine = undefined;
      }
    }
    // While this sealer writes, a genuine successor's value names this sealer's last write as the one it replaced.
    return this.#contend(false, this.#held ? this.#written : undefined);
  }

  /**
   * Takes the lease whatever the key holds: for a standby that saw the holder leave events unsealed (writer-watch.ts).
   * This sealer writes from now on; a holder that renews still learns it lost at its next beat.
   */
  async seize(): Promise<void> {
    await this.#contend(true);
  }

  async #contend(force: boolean, lost?: number): Promise<boolean> {
    for (let round = 0; round < ROUNDS; round++) {
      const entry = await this.#o.kv.get(KEY);
      const verdict: Verdict = entry?.operation !== "PUT" ? { kind: "absent" } : this.#judge(entry.string(), lost);
      if (verdict.kind === "held" && !force) {
        this.#held = false;
        this.#holder = verdict.holder;
        this.#forgery = undefined;
        return false;
      }
      try {
        this.#mine = this.#written =
          verdict.kind === "absent"
            ? await this.#o.kv.create(KEY, this.#value(0))
            : await this.#o.kv.update(KEY, this.#value(entry!.revision), entry!.revision);
        return this.#take(verdict.kind === "void" ? verdict.why : undefined);
      } catch (err) {
        if (!isWrongRevision(err)) throw err;
        // Written in between: judge the new value.
      }
    }
    // Outpaced every round by writes that hold nothing (or forced): this sealer writes without the key.
    const last = await this.#o.kv.get(KEY);
    const verdict: Verdict = last?.operation !== "PUT" ? { kind: "absent" } : this.#judge(last.string(), lost);
    if (verdict.kind === "held" && !force) {
      this.#held = false;
      this.#holder = verdict.holder;
      return false;
    }
    return this.#take(
      verdict.kind === "void" ? `${verdict.why}; the key is rewritten faster than it can be taken back` : undefined,
    );
  }

  #take(forgery: string | undefined): true {
    this.#held = true;
    this.#holder = undefined;
    this.#forgery = forgery;
    return true;
  }

  /**
   * What the key's value means to this sealer. `lost`: the revision of this sealer's own last value, when it has just
   * found it replaced (a genuine successor's value says it replaced exactly that one).
   */
  #judge(text: string, lost?: number): Verdict {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return { kind: "void", why: "the lease key holds something that is not a lease" };
    }
    const value = v as Partial<LeaseValue> & { signer?: unknown };
    if (
      value?.type !== LEASE_TYPE ||
      typeof value.id !== "string" ||
      typeof value.at !== "number" ||
      typeof value.prev !== "number" ||
      typeof value.mesh !== "string"
    ) {
      return { kind: "void", why: "the lease key holds something that is not a lease" };
    }
    if (!trustedRecord(v, this.#trusted)) {
      return {
        kind: "void",
        why: `the lease names ${JSON.stringify(value.id.slice(0, 64))} but is ${typeof value.signer === "string" && value.signer.startsWith("did:") ? `signed by ${value.signer.slice(0, 80)}, not a trusted registry key` : "not signed"}`,
      };
    }
    if (value.mesh !== this.#o.mesh)
      return {
        kind: "void",
        why: `the lease is a value of mesh ${JSON.stringify(value.mesh.slice(0, 64))}, copied here`,
      };
    if (value.id === this.#o.id) return { kind: "ours" };
    if (lost !== undefined && value.prev !== lost) {
      return {
        kind: "void",
        why: `the value naming ${JSON.stringify(value.id.slice(0, 64))} did not replace this sealer's last renewal (a copy of an older value)`,
      };
    }
    const now = this.#now();
    let seen = this.#seen.get(value.id);
    if (!seen) this.#seen.set(value.id, (seen = { at0: value.at, now0: now, at: value.at }));
    else if (value.at > seen.at) seen.at = value.at;
    // How far the holder's renewals have fallen behind this sealer's clock since the first sighting.
    const behind = now - seen.now0 - (seen.at - seen.at0);
    if (behind >= this.#o.ttlMs)
      return { kind: "void", why: `${value.id} has not renewed the lease for ${Math.round(behind / 1000)} s` };
    return { kind: "held", holder: value.id };
  }

  /** This sealer's next value, replacing revision `prev`. */
  #value(prev: number): string {
    const at = Math.max(this.#now(), this.#lastAt + 1);
    this.#lastAt = at;
    return signLease(this.#o.key, { mesh: this.#o.mesh, id: this.#o.id, at, prev });
  }

  /** Gives the lease up (a clean stop): a standby takes it at its next beat instead of after the ttl. */
  async release(): Promise<void> {
    const revision = this.#mine;
    this.#mine = undefined;
    this.#held = false;
    if (revision === undefined) return;
    await this.#o.kv.delete(KEY, { previousSeq: revision }).catch(() => undefined);
  }
}

/** The server refused a compare-and-set: the key is not at the revision given (or exists, for a create). */
function isWrongRevision(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? ""} ${(err as { api_error?: { description?: string } })?.api_error?.description ?? ""}`;
  return (
    /wrong last sequence|key exists|10071/i.test(text) ||
    (err as { api_error?: { err_code?: number } })?.api_error?.err_code === 10071
  );
}
