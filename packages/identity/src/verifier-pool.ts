import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { verifySignature } from "./keypair.js";

interface Batch {
  resolvers: ((ok: boolean) => void)[];
  parts: { pk: Uint8Array; sig: Uint8Array; msg: Uint8Array }[];
  size: number;
}

const MAX_BATCH = 512;

/**
 * Ed25519 verification on worker threads, in batches: the caller's thread only packs bytes, and one message to a
 * worker carries up to MAX_BATCH signatures, so the per-signature cost of crossing threads is small. A reader verifies
 * every incoming message, so this keeps its event loop free for acks and handlers. If a worker fails, its pending
 * and all later checks run inline (verifySignature); nothing is lost.
 */
export class VerifierPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Batch>();
  #batch: Batch = { resolvers: [], parts: [], size: 0 };
  #scheduled = false;
  #next = 0;
  #ids = 0;
  #broken = false;
  /** The Ed25519 implementation the workers use ("libsodium" or "node:crypto"), once the first one started. */
  readonly backend: Promise<string>;

  constructor(threads: number = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < threads; i++) this.#workers.push(this.#spawn());
    this.backend = new Promise((resolve) => {
      this.#workers[0]!.once("message", (m: { backend?: string }) => resolve(m.backend ?? "unknown"));
      this.#workers[0]!.once("exit", () => resolve("inline"));
    });
  }

  #spawn(): Worker {
    const worker = new Worker(new URL("./verifier-worker.mjs", import.meta.url), { execArgv: [] });
    worker.unref();
    worker.on("message", (m: { id?: number; results?: Uint8Array }) => {
      if (m.id === undefined || !m.results) return;
      const batch = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      batch?.resolvers.forEach((resolve, i) => resolve(m.results![i] === 1));
      if (this.#pending.size === 0) this.#workers.forEach((w) => w.unref());
    });
    worker.on("error", () => this.#fail());
    worker.on("exit", () => this.#fail());
    return worker;
  }

  /** Resolves true when `sig` is `pub`'s signature of `msg`; false for anything else (never rejects). */
  verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
    if (pub.length !== 32 || sig.length !== 64) return Promise.resolve(false);
    if (this.#broken) return Promise.resolve(verifySignature(pub, msg, sig));
    return new Promise((resolve) => {
      const b = this.#batch;
      b.resolvers.push(resolve);
      b.parts.push({ pk: pub, sig, msg });
      b.size += 100 + msg.length;
      if (b.parts.length >= MAX_BATCH) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const b = this.#batch;
    if (b.parts.length === 0) return;
    this.#batch = { resolvers: [], parts: [], size: 0 };
    if (this.#broken) return this.#inline(b);
    const buffer = Buffer.allocUnsafe(b.size);
    let at = 0;
    for (const p of b.parts) {
      buffer.set(p.pk, at);
      buffer.set(p.sig, at + 32);
      buffer.writeUInt32LE(p.msg.length, at + 96);
      buffer.set(p.msg, at + 100);
      at += 100 + p.msg.length;
    }
    const id = ++this.#ids;
    this.#pending.set(id, b);
    const ab = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    this.#workers[this.#next++ % this.#workers.length]!.postMessage({ id, buffer: ab, count: b.parts.length }, [ab]);
    // Keep the process alive only while answers are owed.
    this.#workers.forEach((w) => w.ref());
  }

  #inline(b: Batch): void {
    b.parts.forEach((p, i) => b.resolvers[i]!(verifySignature(p.pk, p.msg, p.sig)));
  }

  #fail(): void {
    if (this.#broken) return;
    this.#broken = true;
    const owed = [...this.#pending.values()];
    this.#pending.clear();
    owed.forEach((b) => this.#inline(b));
  }

  async close(): Promise<void> {
    this.#fail();
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

let shared: VerifierPool | undefined;

/** The process-wide pool (created on first use; its threads never keep the process alive when idle). */
export function sharedVerifierPool(): VerifierPool {
  shared ??= new VerifierPool();
  return shared;
}
