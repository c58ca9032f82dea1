/**
 * The writer lease: which of the sealers of a mesh writes; the others stand by. One KV key (`lease` in the sealers
 * bucket) holding the holder's id, renewed by the holder every beat with a compare-and-set on its revision.
 *
 * A standby takes the lease when the key is absent (create: only one wins) or when its revision has not changed for
 * `ttlMs` by the standby's own clock (so no two hosts' clocks are compared): the holder stopped renewing (killed, cut
 * off). Taking it is a compare-and-set on the revision it watched, so of several standbys one wins. A holder whose
 * renewal fails because the revision moved has lost the lease and stands by.
 *
 * The lease is for efficiency, not safety: two sealers that both believe they write (a holder cut off for longer than
 * the ttl and then back) are still safe, because every append states the chain size it expects (optimistic
 * concurrency, sealer.ts) and a sealer reads back and compares what another wrote.
 */
import type { KV } from "@nats-io/kv";

const KEY = "lease";

export interface LeaseOptions {
  kv: KV;
  /** This sealer's id. */
  id: string;
  /** A holder that has not renewed for this long (ms) may be replaced. */
  ttlMs: number;
  now?: () => number;
}

export class WriterLease {
  readonly #o: LeaseOptions;
  readonly #now: () => number;
  /** The revision this sealer wrote last, while it holds the lease. */
  #mine: number | undefined;
  /** The holder's revision as last seen by a standby, and since when (own clock). */
  #seen: { revision: number; since: number; holder: string } | undefined;

  constructor(o: LeaseOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  get held(): boolean {
    return this.#mine !== undefined;
  }

  /** The holder as last seen (undefined: none seen, or this sealer). */
  get holder(): string | undefined {
    return this.#mine !== undefined ? this.#o.id : this.#seen?.holder;
  }

  /**
   * One beat: renews the lease when held, else tries to take it. True when this sealer holds it afterwards. Throws when
   * the server does not answer (the caller tries again on the next beat; held stays as it was).
   */
  async beat(): Promise<boolean> {
    const value = JSON.stringify({ id: this.#o.id, at: this.#now() });
    if (this.#mine !== undefined) {
      try {
        this.#mine = await this.#o.kv.update(KEY, value, this.#mine);
        return true;
      } catch (err) {
        if (!isWrongRevision(err)) throw err;
        // Someone took it (or our last renewal landed though its answer was lost): find out below.
        this.#mine = undefined;
        this.#seen = undefined;
      }
    }
    const entry = await this.#o.kv.get(KEY);
    if (!entry || entry.operation !== "PUT") {
      try {
        this.#mine = await this.#o.kv.create(KEY, value);
        return true;
      } catch (err) {
        if (isWrongRevision(err)) return false;
        throw err;
      }
    }
    const holder = holderOf(entry.string());
    const now = this.#now();
    if (holder === this.#o.id || (this.#seen?.revision === entry.revision && now - this.#seen.since >= this.#o.ttlMs)) {
      try {
        this.#mine = await this.#o.kv.update(KEY, value, entry.revision);
        this.#seen = undefined;
        return true;
      } catch (err) {
        if (!isWrongRevision(err)) throw err;
        return false;
      }
    }
    if (this.#seen?.revision !== entry.revision) this.#seen = { revision: entry.revision, since: now, holder };
    return false;
  }

  /** Gives the lease up (a clean stop): a standby takes it at its next beat instead of after the ttl. */
  async release(): Promise<void> {
    if (this.#mine === undefined) return;
    const revision = this.#mine;
    this.#mine = undefined;
    await this.#o.kv.delete(KEY, { previousSeq: revision }).catch(() => undefined);
  }
}

function holderOf(text: string): string {
  try {
    const v = JSON.parse(text) as { id?: unknown };
    return typeof v.id === "string" ? v.id : "?";
  } catch {
    return "?";
  }
}

/** The server refused a compare-and-set: the key is not at the revision given (or exists, for a create). */
function isWrongRevision(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? ""} ${(err as { api_error?: { description?: string } })?.api_error?.description ?? ""}`;
  return /wrong last sequence|key exists|10071/i.test(text) || (err as { api_error?: { err_code?: number } })?.api_error?.err_code === 10071;
}
