/**
 * Sealer presence: each running sealer keeps one small signed record in the mesh's sealers bucket (KV
 * PLEXUS_<MESH>_SEALERS, key `sealer.<id>`), rewritten every second: who it is (id, host, pid, the key it signs
 * checkpoints with), whether it writes or stands by, its state, the chain head it confirmed, the log's end, the lag, and
 * when something is wrong the reason. `plexus audit status` lists them; `plexus audit verify` refuses to say ok while a
 * live, trusted one reports a problem.
 *
 * The record is signed by the sealer's key (signed-record.ts). The bucket is writable by every holder of the mesh's
 * service credentials, so a record proves only who wrote it and when it was first written, not that it is current:
 * a reader counts it only when its signer is trusted (`trusted`), and judges whether the mesh is being sealed from the
 * chain itself, never from what a record claims (query/sealing-progress.ts). A record older than STALE_MS (by the
 * server's time of the write) belongs to a sealer that stopped writing: shown as gone, with its last words. The bucket
 * keeps records an hour after their last write, holds values of at most 4 KiB and 4 MiB in all; a reader reads at most
 * MAX_RECORDS of them.
 */
import { hostname } from "node:os";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { replicasError, replicasFor, sealerBucket } from "@plexus/bus/internal";
import { Defaults, ErrorCode, PlexusError } from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";
import type { KeyPair } from "@plexus/identity";
import { release } from "../store/stream-range.js";
import type { ChainHead } from "../types.js";
import type { SealerProblem } from "../sealer/sealer.js";
import { signRecord, verifyRecord, type TrustedSigners } from "./signed-record.js";

/** A record not rewritten for this long is a sealer that stopped (it writes every second). */
export const STALE_MS = 10_000;
/**
 * A record stored more than this long after (or before) the time it was signed is a copy of an old one put back (a
 * sealer writes its record right after signing it): like a record not rewritten for that long, it is not believed. The
 * same bound as STALE_MS, so a copy lives no longer than the original would have; hosts' clocks must agree to within it.
 */
export const MAX_RECORD_SKEW_MS = STALE_MS;
/** Records (and the lease) go an hour after their last write. */
const BUCKET_TTL_MS = 3_600_000;
/** A record is well under 1 KiB; the bucket as a whole holds a few thousand. */
const MAX_VALUE_BYTES = 4_096;
const MAX_BUCKET_BYTES = 4 * 1024 * 1024;
/** A reader reads this many records at most (a flooded bucket does not make `audit status` crawl). */
export const MAX_RECORDS = 256;
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
  /**
   * Believed: valid, signed by a key the reader trusts (any key when the reader named none), of this mesh, and written
   * to the bucket when it was signed (not a copy of an old record put back).
   */
  trusted: boolean;
  /** Why it is not believed, when it is not. */
  doubt?: string;
  /** Milliseconds since the server stored it. */
  ageMs: number;
  /** Written within STALE_MS: the sealer is still there. */
  live: boolean;
}

/**
 * Opens (creating it when missing: the service user may, by name) the mesh's sealers bucket, with `replicas` copies
 * (default: the mesh's settings, @plexus/bus readMeshSettings; an existing bucket is opened as it is).
 */
export async function openSealerBucket(nc: NatsConnection, mesh: string, replicas?: number): Promise<KV> {
  const name = sealerBucket(mesh);
  const copies = await replicasFor(nc, mesh, replicas);
  return new Kvm(jetstream(nc))
    .create(name, {
      history: 1,
      ttl: BUCKET_TTL_MS,
      maxValueSize: MAX_VALUE_BYTES,
      max_bytes: MAX_BUCKET_BYTES,
      replicas: copies,
    })
    .catch((err: unknown) => {
      throw replicasError(err, `KV_${name}`, copies);
    });
}

/** A sealer id as a KV key token: letters, digits, '-', '_' (anything else becomes '_'). */
export function sealerId(raw = `${hostname()}-${process.pid}`): string {
  return raw.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 128) || "sealer";
}

export function signPresence(key: KeyPair, p: Omit<SealerPresence, "sig" | "signer">): SealerPresence {
  return signRecord(key, p);
}

export function verifyPresence(p: SealerPresence): boolean {
  return verifyRecord(p);
}

export async function publishPresence(kv: KV, p: SealerPresence): Promise<void> {
  await kv.put(`${PREFIX}${p.id}`, JSON.stringify(p));
}

/**
 * The sealer records of the mesh (at most MAX_RECORDS), newest first; none when the bucket does not exist (no sealer
 * ever ran). `trusted`: the keys whose records count (default: any whose signature holds).
 */
export async function readSealerPresence(
  nc: NatsConnection,
  mesh: string,
  o: { trusted?: TrustedSigners; now?: number } = {},
): Promise<SealerSighting[]> {
  const now = o.now ?? Date.now();
  const jsm = await jetstreamManager(nc);
  const exists = await jsm.streams.info(`KV_${sealerBucket(mesh)}`).then(
    () => true,
    (err: unknown) => {
      if ((err as { name?: string }).name === "StreamNotFoundError") return false;
      throw err;
    },
  );
  if (!exists) return [];
  const records = (await lastValues(nc, mesh)).sort((a, b) => b.created - a.created).slice(0, MAX_RECORDS);
  const found: SealerSighting[] = [];
  for (const r of records) {
    let p: unknown;
    try {
      p = JSON.parse(r.text);
    } catch {
      p = undefined;
    }
    const ageMs = Math.max(0, now - r.created);
    const live = ageMs <= STALE_MS;
    if (!isPresence(p)) {
      const id = typeof (p as { id?: unknown })?.id === "string" ? (p as { id: string }).id : "?";
      found.push({
        ...blankPresence(id, mesh),
        valid: false,
        trusted: false,
        doubt: "not a sealer presence record",
        ageMs,
        live,
      });
      continue;
    }
    const valid = verifyPresence(p);
    const doubt = !valid
      ? "its signature does not verify"
      : o.trusted !== undefined && !o.trusted.has(p.signer)
        ? `signed by ${p.signer}, not a key you trust`
        : p.mesh !== mesh
          ? `a record of mesh ${JSON.stringify(p.mesh)}, copied here`
          : Math.abs(r.created - p.at) > MAX_RECORD_SKEW_MS
            ? `stored ${Math.round((r.created - p.at) / 1000)} s after it was signed: a copy of an old record`
            : undefined;
    found.push({ ...p, valid, trusted: doubt === undefined, ...(doubt ? { doubt } : {}), ageMs, live });
  }
  return found.sort((a, b) => a.ageMs - b.ageMs);
}

/** The fields every presence record has, with the types they must have (anything else is not one). */
function isPresence(p: unknown): p is SealerPresence {
  const v = p as Partial<SealerPresence> | undefined;
  const head = v?.head as Partial<ChainHead> | undefined;
  return (
    typeof v === "object" &&
    v !== null &&
    ["id", "mesh", "host", "signer", "role", "state", "sig"].every(
      (k) => typeof (v as Record<string, unknown>)[k] === "string",
    ) &&
    ["pid", "logEnd", "lag", "sealed", "startedAt", "at"].every(
      (k) => typeof (v as Record<string, unknown>)[k] === "number",
    ) &&
    typeof head === "object" &&
    head !== null &&
    typeof head.size === "number" &&
    typeof head.hash === "string" &&
    (v.problem === undefined ||
      (typeof v.problem === "object" &&
        v.problem !== null &&
        typeof v.problem.reason === "string" &&
        typeof v.problem.code === "string"))
  );
}

function blankPresence(id: string, mesh: string): SealerPresence {
  return {
    id,
    mesh,
    host: "?",
    pid: 0,
    signer: "",
    role: "standby",
    state: "standby",
    head: { size: 0, hash: "" },
    logEnd: 0,
    lag: 0,
    sealed: 0,
    startedAt: 0,
    at: 0,
    sig: "",
  };
}

/**
 * How long reading the presence records may take (ms). A consume can stop delivering without an error when the
 * bucket's leader changes under it (issue 14): then the read is given up (a Timeout error) instead of hanging the
 * status or a standby's beat, and its consumer is released.
 */
export const PRESENCE_READ_MS = 2 * Defaults.pullExpiresMs;

/**
 * The current value of every presence key, with the server's time of its write: one ordered consumer over the bucket's
 * stream (last value per key), not a read per key, so a bucket flooded with keys is read in one pass.
 */
async function lastValues(nc: NatsConnection, mesh: string): Promise<{ text: string; created: number }[]> {
  const bucket = sealerBucket(mesh);
  const consumer = await jetstream(nc).consumers.get(`KV_${bucket}`, {
    filter_subjects: [`$KV.${bucket}.${PREFIX}>`],
    deliver_policy: DeliverPolicy.LastPerSubject,
    name_prefix: orderedConsumerPrefix(),
  });
  const out: { text: string; created: number }[] = [];
  if ((await consumer.info(true)).num_pending === 0) {
    await consumer.delete().catch(() => undefined);
    return out;
  }
  const messages = await consumer.consume({ max_messages: 1_024, expires: Defaults.pullExpiresMs });
  let complete = false;
  const deadline = setTimeout(() => messages.stop(), PRESENCE_READ_MS);
  try {
    for await (const m of messages) {
      const op = m.headers?.get("KV-Operation");
      if (op !== "DEL" && op !== "PURGE")
        out.push({ text: m.string(), created: Math.floor(Number(m.info.timestampNanos) / 1_000_000) });
      if (m.info.pending === 0) {
        complete = true;
        break;
      }
    }
  } finally {
    clearTimeout(deadline);
    await release(consumer, messages);
  }
  if (!complete)
    throw new PlexusError(
      ErrorCode.Timeout,
      `the sealers' presence records (bucket ${bucket}) could not be read in full within ${PRESENCE_READ_MS} ms`,
    );
  return out;
}

/** The live, trusted records that report a problem (stalled, failed, refused). */
export function troubledSealers(sightings: readonly SealerSighting[]): SealerSighting[] {
  return sightings.filter((s) => s.live && s.trusted && reportsProblem(s));
}

export function reportsProblem(s: SealerPresence): boolean {
  return s.problem !== undefined || s.state === "stalled" || s.state === "failed" || s.state === "refused";
}
