/**
 * Sealer presence: each running sealer keeps one small signed record in the mesh's sealers bucket (KV
 * PLEXUS_<MESH>_SEALERS, key `sealer.<id>`), rewritten every second: who it is (id, host, pid, the key it signs
 * checkpoints with), whether it writes or stands by, its state, the chain head it confirmed, the log's end, the lag, and
 * when something is wrong the reason. `plexus audit status` lists them; `plexus audit verify` refuses to say ok while a
 * live one reports a problem.
 *
 * The record is signed (Ed25519 over RFC 8785 canonical JSON without `sig`) by the sealer's key, so a reader can tell
 * which registry key vouches for it; the bucket is writable by every holder of the mesh's service credentials, so a
 * record proves only who wrote it, not that nothing else did. A record older than STALE_MS (by the server's time of the
 * write) belongs to a sealer that stopped writing: shown as gone, with its last words. The bucket keeps records an
 * hour after their last write.
 */
import { hostname } from "node:os";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { sealerBucket } from "@plexus/bus";
import { canonicalBytes } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";
import type { ChainHead } from "../types.js";
import type { SealerProblem } from "../sealer/sealer.js";

/** A record not rewritten for this long is a sealer that stopped (it writes every second). */
export const STALE_MS = 10_000;
/** Records (and the lease) go an hour after their last write. */
const BUCKET_TTL_MS = 3_600_000;
const PREFIX = "sealer.";

export type SealerRole = "active" | "standby";
/** "standby": waits for the lease; "starting": holds it and is starting; the rest are the sealer's own states. */
export type PresenceState = "standby" | "starting" | "running" | "stalled" | "stopped" | "failed" | "refused";

export interface SealerPresence {
  id: string;
  mesh: string;
  host: string;
  pid: number;
  /** The key that signs this record and the sealer's checkpoints. */
  signer: string;
  role: SealerRole;
  state: PresenceState;
  head: ChainHead;
  /** The mesh log's end as this sealer last read it. */
  logEnd: number;
  lag: number;
  /** Links this sealer appended since it started. */
  sealed: number;
  problem?: SealerProblem;
  startedAt: number;
  /** When written (the sealer's clock). */
  at: number;
  sig: string;
}

/** A record as a reader found it. */
export interface SealerSighting extends SealerPresence {
  /** The signature holds for `signer`. */
  valid: boolean;
  /** Milliseconds since the server stored it. */
  ageMs: number;
  /** Written within STALE_MS: the sealer is still there. */
  live: boolean;
}

/** Opens (creating it when missing: the service user may, by name) the mesh's sealers bucket. */
export function openSealerBucket(nc: NatsConnection, mesh: string): Promise<KV> {
  return new Kvm(jetstream(nc)).create(sealerBucket(mesh), { history: 1, ttl: BUCKET_TTL_MS });
}

/** A sealer id as a KV key token: letters, digits, '-', '_' (anything else becomes '_'). */
export function sealerId(raw = `${hostname()}-${process.pid}`): string {
  return raw.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 128) || "sealer";
}

export function signPresence(key: KeyPair, p: Omit<SealerPresence, "sig" | "signer">): SealerPresence {
  const unsigned = { ...p, signer: key.did };
  return { ...unsigned, sig: Buffer.from(key.sign(canonicalBytes(unsigned))).toString("base64url") };
}

export function verifyPresence(p: SealerPresence): boolean {
  if (typeof p?.sig !== "string" || typeof p.signer !== "string") return false;
  const { sig, ...unsigned } = p;
  try {
    return verifySignature(p.signer, canonicalBytes(unsigned), Buffer.from(sig, "base64url"));
  } catch {
    return false;
  }
}

export async function publishPresence(kv: KV, p: SealerPresence): Promise<void> {
  await kv.put(`${PREFIX}${p.id}`, JSON.stringify(p));
}

/** Every sealer record of the mesh, newest first; none when the bucket does not exist (no sealer ever ran). */
export async function readSealerPresence(nc: NatsConnection, mesh: string, now = Date.now()): Promise<SealerSighting[]> {
  const jsm = await jetstreamManager(nc);
  const exists = await jsm.streams.info(`KV_${sealerBucket(mesh)}`).then(
    () => true,
    (err: unknown) => {
      if ((err as { name?: string }).name === "StreamNotFoundError") return false;
      throw err;
    },
  );
  if (!exists) return [];
  const kv = await new Kvm(jetstream(nc)).open(sealerBucket(mesh));
  const keys: string[] = [];
  for await (const k of await kv.keys(`${PREFIX}>`)) keys.push(k);
  const found: SealerSighting[] = [];
  for (const k of keys) {
    const e = await kv.get(k);
    if (!e || e.operation !== "PUT") continue;
    let p: SealerPresence;
    try {
      p = JSON.parse(e.string()) as SealerPresence;
    } catch {
      continue;
    }
    if (typeof p !== "object" || p === null || typeof p.id !== "string") continue;
    const ageMs = Math.max(0, now - e.created.getTime());
    found.push({ ...p, valid: verifyPresence(p), ageMs, live: ageMs <= STALE_MS });
  }
  return found.sort((a, b) => a.ageMs - b.ageMs);
}

/** The live records that report a problem (stalled, failed, refused), or a bad signature. */
export function troubledSealers(sightings: readonly SealerSighting[]): SealerSighting[] {
  return sightings.filter((s) => s.live && (s.problem !== undefined || s.state === "stalled" || s.state === "failed" || s.state === "refused" || !s.valid));
}
