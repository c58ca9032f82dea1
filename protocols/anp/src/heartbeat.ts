import { createHmac, timingSafeEqual } from "node:crypto";
import { parseJson } from "@plexus/core";

/**
 * Heartbeats are telemetry: an agent puts its latest beat in the mesh's heartbeat KV bucket (history 1, so only
 * the latest per agent is kept). A beat is authenticated with an HMAC key the registry hands the agent at join,
 * derived from the registry's secret and the agent's DID, so any registry node can check beats at hash speed and
 * no one without the key can keep an agent "alive". A beat whose timestamp is far from the time the server stored
 * it (a copy of an old beat put back) is refused as stale.
 */
export interface Beat {
  did: string;
  seq: number;
  ts: number;
  mac: string;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
export const MAX_BEAT_SKEW_MS = 30_000;
/** A beat is a few hundred bytes; anything much larger in the bucket is not one. */
const MAX_BEAT_BYTES = 4_096;
const MAC_BYTES = 16;

/** The registry's heartbeat secret, derived once from its signing seed and the mesh id. */
export function heartbeatSecret(registrySeed: Uint8Array, mesh: string): Buffer {
  return createHmac("sha256", registrySeed).update(`plexus-heartbeat-secret|${mesh}`).digest();
}

/** The per-agent key handed out at join (base64url in the join reply). */
export function beatKeyFor(secret: Uint8Array, did: string): Buffer {
  return createHmac("sha256", secret).update(`plexus-heartbeat|${did}`).digest();
}

function mac(key: Uint8Array, did: string, seq: number, ts: number): Buffer {
  return createHmac("sha256", key).update(`${did}|${seq}|${ts}`).digest().subarray(0, MAC_BYTES);
}

export function makeBeat(key: Uint8Array, did: string, seq: number, ts = Date.now()): Beat {
  return { did, seq, ts, mac: mac(key, did, seq, ts).toString("base64url") };
}

export type BeatCheck =
  | { ok: true; beat: Beat }
  | { ok: false; reason: "malformed" | "bad_mac" | "stale"; detail: string };

/** Checks a beat read from the bucket; `storedAt` is the server's timestamp of the KV entry. */
export function checkBeat(
  secret: Uint8Array,
  bytes: Uint8Array,
  storedAt: number,
  maxSkewMs = MAX_BEAT_SKEW_MS,
): BeatCheck {
  return checkBeatWith((did) => beatKeyFor(secret, did), bytes, storedAt, maxSkewMs);
}

/** checkBeat with the per-agent key from `keyOf` (a registry caches the keys it derived: one HMAC per beat less). */
export function checkBeatWith(
  keyOf: (did: string) => Uint8Array,
  bytes: Uint8Array,
  storedAt: number,
  maxSkewMs = MAX_BEAT_SKEW_MS,
): BeatCheck {
  const read = parseJson(bytes, { maxBytes: MAX_BEAT_BYTES });
  if (!read.ok)
    return { ok: false, reason: "malformed", detail: `the beat is refused (${read.reason}): ${read.detail}` };
  const beat = read.value as Beat | null;
  if (
    typeof beat !== "object" ||
    beat === null ||
    typeof beat.did !== "string" ||
    !Number.isSafeInteger(beat.seq) ||
    !Number.isSafeInteger(beat.ts) ||
    typeof beat.mac !== "string"
  ) {
    return { ok: false, reason: "malformed", detail: "the beat needs did, seq, ts and mac" };
  }
  const expected = mac(keyOf(beat.did), beat.did, beat.seq, beat.ts);
  const given = Buffer.from(beat.mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad_mac", detail: "the beat is not authenticated by this agent's heartbeat key" };
  }
  if (Math.abs(storedAt - beat.ts) > maxSkewMs) {
    return {
      ok: false,
      reason: "stale",
      detail: `the beat's time is ${Math.round((storedAt - beat.ts) / 1000)} s away from when it was stored`,
    };
  }
  return { ok: true, beat };
}
