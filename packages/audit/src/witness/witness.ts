/**
 * A witness (C2SP tlog-witness, in spirit): it cosigns a log's checkpoint only when the log key signed it, it is for
 * the same log (origin), and it is consistent with the last checkpoint this witness cosigned (an RFC 9162
 * consistency proof from the old (size, root) to the new). A log that shrank (rollback) or changed what it had
 * (fork) is refused with a stable reason, and the witness's state does not move. Pure: no I/O, no clock (the caller
 * passes the time); state-file.ts keeps the state, the CLI follows a mesh.
 *
 * Why: checkpoints live in the same NATS account as the log they vouch for, so whoever holds the mesh's service
 * credentials can rewrite history and drop the checkpoints. A witness keeps its own copy of the newest cosigned
 * checkpoint outside that account; `audit verify --witness` checks the live log against it.
 */
import type { KeyPair } from "@plexus/identity";
import { equalHashes } from "../merkle/hash.js";
import { verifyConsistency } from "../merkle/verify.js";
import { openCheckpointNote } from "../note/checkpoint-note.js";
import { cosignNote } from "../note/cosignature.js";

export const WITNESS_STATE_FORMAT = "plexus-witness/1";

/** What a witness remembers of one log: who it is, which log and key it follows, and the last checkpoint it cosigned. */
export interface WitnessState {
  format: typeof WITNESS_STATE_FORMAT;
  /** The witness's key name in its cosignatures (its NAME). */
  name: string;
  /** The witness's did:key (verifies its cosignatures). */
  did: string;
  /** The log's origin (`plexus.mesh/<mesh>`). */
  origin: string;
  /** The pinned log keys (did:key) whose signature a checkpoint must carry. */
  logKeys: string[];
  /** Size of the last cosigned checkpoint (0: none yet). */
  size: number;
  /** Its root hash, base64 (absent before the first cosignature). */
  root?: string;
  /** The last cosigned checkpoint note: the log's signature and this witness's cosignature. */
  note?: string;
  /** When it was cosigned, POSIX seconds. */
  time?: number;
}

export type WitnessRefusal = "rollback" | "fork" | "bad_signature" | "wrong_origin";

export type WitnessResult =
  | { ok: true; note: string; state: WitnessState; size: number; advanced: boolean }
  | { ok: false; reason: WitnessRefusal; detail: string };

/** A witness that has cosigned nothing yet for the log `origin` signed by `logKeys`. */
export function newWitnessState(opts: {
  name: string;
  did: string;
  origin: string;
  logKeys: readonly string[];
}): WitnessState {
  return {
    format: WITNESS_STATE_FORMAT,
    name: opts.name,
    did: opts.did,
    origin: opts.origin,
    logKeys: [...opts.logKeys],
    size: 0,
  };
}

/**
 * Witnesses `note` (a checkpoint note) given `proof`, the consistency proof from the state's (size, root) to the
 * note's: on success, the note with this witness's cosignature added and the new state; else a refusal. `key` is the
 * witness's key (its did must be the state's), `time` POSIX seconds.
 */
export function witnessCheckpoint(
  state: WitnessState,
  note: string,
  proof: readonly Uint8Array[],
  key: KeyPair,
  time: number,
): WitnessResult {
  if (key.did !== state.did) throw new RangeError(`the witness key ${key.did} is not the state's (${state.did})`);
  const unpinned = openCheckpointNote(note, []);
  if (unpinned.ok === false && unpinned.reason === "malformed")
    return { ok: false, reason: "bad_signature", detail: `not a checkpoint note: ${unpinned.detail}` };
  const opened = openCheckpointNote(note, state.logKeys, state.origin);
  if (!opened.ok) {
    if (opened.reason === "origin") return { ok: false, reason: "wrong_origin", detail: opened.detail };
    return {
      ok: false,
      reason: "bad_signature",
      detail: `the checkpoint is not signed by the pinned log key: ${opened.detail}`,
    };
  }
  const head = opened.head;
  const last = state.root === undefined ? undefined : new Uint8Array(Buffer.from(state.root, "base64"));
  if (head.size < state.size) {
    return {
      ok: false,
      reason: "rollback",
      detail: `the checkpoint has ${head.size} entries, fewer than the ${state.size} this witness cosigned`,
    };
  }
  if (last && head.size === state.size) {
    if (!equalHashes(head.root, last))
      return {
        ok: false,
        reason: "fork",
        detail: `the checkpoint of size ${head.size} has another root than the one this witness cosigned`,
      };
  } else if (last && !verifyConsistency(state.size, head.size, proof, last, head.root)) {
    return {
      ok: false,
      reason: "fork",
      detail: `the checkpoint of size ${head.size} is not consistent with the one of size ${state.size} this witness cosigned`,
    };
  }
  const cosigned = cosignNote(note, key, state.name, time);
  const next: WitnessState = {
    ...state,
    size: head.size,
    root: Buffer.from(head.root).toString("base64"),
    note: cosigned,
    time: Math.floor(time),
  };
  return {
    ok: true,
    note: cosigned,
    state: next,
    size: head.size,
    advanced: head.size > state.size || last === undefined,
  };
}
