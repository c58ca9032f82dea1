import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { isSmallOrderKey } from "./did-key.js";
import { verifySignature } from "./keypair.js";

type Op = "verify" | "sign";

interface Entry {
  /** verify: public key, signature, message. sign: key number, message. */
  parts: Uint8Array[];
  key: number;
  size: number;
}

interface Batch {
  op: Op;
  entries: Entry[];
  resolvers: ((result: Uint8Array | boolean) => void)[];
  size: number;
}

/** Answers owed by a worker: its batch, kept so the work can be redone inline if the worker dies. */
interface Owed {
  batch: Batch;
  worker: Worker;
}

export interface PoolSigner {
  /** The key's number in the pool. */
  readonly key: number;
  /** The 32-byte seed, for the inline fallback. */
  signInline(data: Uint8Array): Uint8Array;
}

const MAX_BATCH = 512;
/**
 * Batches this small are done on the calling thread when no batch of the same kind is out on a worker: a worker
 * round trip (postMessage both ways, ~10 µs idle, ~45 µs under load) costs more than signing (~15 µs) or verifying
 * (~45 µs) one or two messages here. With nothing of the kind owed, doing them now keeps signatures in seq order.
 */
const INLINE_MAX = 2;

/**
 * Ed25519 on worker threads, in batches: the caller's thread only packs bytes, and one message to a worker carries up
 * to MAX_BATCH operations, so crossing threads costs little per signature. A reader verifies every incoming message and
 * a sender signs every outgoing one; this keeps their event loops free for I/O, acks and handlers. Signing keys are
 * copied to the workers once (`addKey`). If a worker fails, what it owed and everything after runs inline; nothing is
 * lost.
 */
export class CryptoPool {
  readonly #workers: Worker[] = [];
  readonly #owed = new Map<number, Owed>();
  /** Batches out on a worker, per kind. */
  readonly #owedOps: Record<Op, number> = { verify: 0, sign: 0 };
  readonly #batches: Record<Op, Batch> = { verify: newBatch("verify"), sign: newBatch("sign") };
  readonly #signers = new Map<number, PoolSigner>();
  #scheduled = false;
  #next = 0;
  #ids = 0;
  #keys = 0;
  #broken = false;
  /** The Ed25519 implementation the workers use ("libsodium" or "node:crypto"), once the first one started. */
  readonly backend: Promise<string>;

  constructor(threads: number = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < threads; i++) this.#workers.push(this.#spawn());
    this.backend = new Promise((resolve) => {
      this.#workers[0]!.once("message", (m: { backend?: string }) => resolve(m.backend ?? "unknown"));
      this.#workers[0]!.once("exit", () => resolve("inline"));
    });
    // Adding a "message" listener refs a worker again (node's Worker re-refs its port): unref once they are all set,
    // or a process that signed one message inline would never exit.
    for (const w of this.#workers) w.unref();
  }

  #spawn(): Worker {
    const worker = new Worker(new URL("./crypto-worker.mjs", import.meta.url), { execArgv: [] });
    worker.on("message", (m: { id?: number; results?: Uint8Array }) => {
      if (m.id === undefined || !m.results) return;
      const owed = this.#owed.get(m.id);
      this.#owed.delete(m.id);
      if (owed) this.#owedOps[owed.batch.op] -= 1;
      if (owed) deliver(owed.batch, m.results);
      if (this.#owed.size === 0) this.#workers.forEach((w) => w.unref());
    });
    worker.on("error", () => this.#fail());
    worker.on("exit", () => this.#fail());
    return worker;
  }

  /** Makes a signing key known to the workers; returns its number for `sign`. */
  addKey(seed: Uint8Array, signInline: (data: Uint8Array) => Uint8Array): PoolSigner {
    const key = ++this.#keys;
    const signer = { key, signInline };
    this.#signers.set(key, signer);
    if (!this.#broken) for (const w of this.#workers) w.postMessage({ op: "key", key, seed: Uint8Array.from(seed) });
    return signer;
  }

  /** Resolves true when `sig` is `pub`'s signature of `msg`; false for anything else (never rejects). */
  verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
    if (pub.length !== 32 || sig.length !== 64 || isSmallOrderKey(pub)) return Promise.resolve(false);
    if (this.#broken) return Promise.resolve(verifySignature(pub, msg, sig));
    return this.#enqueue("verify", { parts: [pub, sig, msg], key: 0, size: 100 + msg.length }) as Promise<boolean>;
  }

  /** The 64-byte signature of `msg` by a key added with `addKey`. */
  sign(signer: PoolSigner, msg: Uint8Array): Promise<Uint8Array> {
    if (this.#broken) return Promise.resolve(signer.signInline(msg));
    return this.#enqueue("sign", { parts: [msg], key: signer.key, size: 8 + msg.length }) as Promise<Uint8Array>;
  }

  #enqueue(op: Op, entry: Entry): Promise<Uint8Array | boolean> {
    return new Promise((resolve) => {
      const b = this.#batches[op];
      b.entries.push(entry);
      b.resolvers.push(resolve);
      b.size += entry.size;
      if (b.entries.length >= MAX_BATCH) this.#flush(op);
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush("sign");
          this.#flush("verify");
        });
      }
    });
  }

  #flush(op: Op): void {
    const b = this.#batches[op];
    if (b.entries.length === 0) return;
    this.#batches[op] = newBatch(op);
    if (this.#broken || (b.entries.length <= INLINE_MAX && this.#owedOps[op] === 0)) return this.#inline(b);
    const buffer = pack(b);
    const id = ++this.#ids;
    // Signatures all go to one worker, which answers in order, so sends leave in the order their seq was given.
    const worker = op === "sign" ? this.#workers[0]! : this.#workers[this.#next++ % this.#workers.length]!;
    this.#owed.set(id, { batch: b, worker });
    this.#owedOps[op] += 1;
    worker.postMessage({ op, id, buffer, count: b.entries.length }, [buffer]);
    // Keep the process alive only while answers are owed.
    worker.ref();
  }

  #inline(b: Batch): void {
    b.entries.forEach((e, i) => {
      const result =
        b.op === "verify"
          ? verifySignature(e.parts[0]!, e.parts[2]!, e.parts[1]!)
          : this.#signers.get(e.key)!.signInline(e.parts[0]!);
      b.resolvers[i]!(result);
    });
  }

  #fail(): void {
    if (this.#broken) return;
    this.#broken = true;
    const owed = [...this.#owed.values()];
    this.#owed.clear();
    owed.forEach((o) => this.#inline(o.batch));
  }

  async close(): Promise<void> {
    this.#fail();
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

function newBatch(op: Op): Batch {
  return { op, entries: [], resolvers: [], size: 0 };
}

function pack(b: Batch): ArrayBuffer {
  const buffer = Buffer.allocUnsafeSlow(b.size);
  let at = 0;
  for (const e of b.entries) {
    if (b.op === "verify") {
      const [pk, sig, msg] = e.parts as [Uint8Array, Uint8Array, Uint8Array];
      buffer.set(pk, at);
      buffer.set(sig, at + 32);
      buffer.writeUInt32LE(msg.length, at + 96);
      buffer.set(msg, at + 100);
      at += 100 + msg.length;
    } else {
      const msg = e.parts[0]!;
      buffer.writeUInt32LE(e.key, at);
      buffer.writeUInt32LE(msg.length, at + 4);
      buffer.set(msg, at + 8);
      at += 8 + msg.length;
    }
  }
  return buffer.buffer as ArrayBuffer;
}

function deliver(b: Batch, results: Uint8Array): void {
  if (b.op === "verify") b.resolvers.forEach((resolve, i) => resolve(results[i] === 1));
  else b.resolvers.forEach((resolve, i) => resolve(results.subarray(i * 64, i * 64 + 64)));
}

let shared: CryptoPool | undefined;

/** The process-wide pool (created on first use; its threads never keep the process alive when idle). */
export function sharedCryptoPool(): CryptoPool {
  shared ??= new CryptoPool();
  return shared;
}
