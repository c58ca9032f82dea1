/**
 * Reading back what a witness vouches for: the newest checkpoint in its state, checked the way a verifier must
 * (its cosignature by the witness key named in the state, and, when log keys are pinned, the log's signature by one
 * of them). What `audit verify --witness` compares the live log with.
 */
import { openNote, parseNote } from "../note/signed-note.js";
import { openCheckpointNote, type TreeHead } from "../note/checkpoint-note.js";
import { cosignatureVerifier } from "../note/cosignature.js";
import type { WitnessState } from "./witness.js";

export type WitnessedCheckpoint =
  | { ok: true; head: TreeHead; witness: string; did: string; time: number }
  | { ok: false; reason: "no_checkpoint" | "cosignature" | "checkpoint_signature" | "origin"; detail: string };

/**
 * The head the witness in `state` cosigned. `logKeys`: the log keys to require (else the state's own pinned keys);
 * `origin`: the log it must be for.
 */
export function witnessedCheckpoint(
  state: WitnessState,
  opts: { logKeys?: readonly string[]; origin?: string } = {},
): WitnessedCheckpoint {
  if (state.size === 0 || state.note === undefined)
    return { ok: false, reason: "no_checkpoint", detail: `the witness ${state.name} has cosigned no checkpoint yet` };
  const parsed = parseNote(state.note);
  if (!parsed.ok)
    return { ok: false, reason: "cosignature", detail: `the witnessed note is malformed: ${parsed.reason}` };
  const times: number[] = [];
  let cosigner;
  try {
    cosigner = cosignatureVerifier(state.name, state.did, times);
  } catch {
    return { ok: false, reason: "cosignature", detail: `the witness key ${state.did} is not a did:key` };
  }
  const co = openNote(parsed.note, [cosigner]);
  if (!co.ok)
    return {
      ok: false,
      reason: "cosignature",
      detail: `no valid cosignature by the witness ${state.name} (${state.did}): ${co.detail}`,
    };
  const log = openCheckpointNote(state.note, opts.logKeys ?? state.logKeys, opts.origin);
  if (!log.ok)
    return {
      ok: false,
      reason: log.reason === "origin" ? "origin" : "checkpoint_signature",
      detail: `the witnessed checkpoint: ${log.detail}`,
    };
  if (log.head.size !== state.size || Buffer.from(log.head.root).toString("base64") !== state.root) {
    return { ok: false, reason: "cosignature", detail: "the state's size and root are not the cosigned note's" };
  }
  return { ok: true, head: log.head, witness: state.name, did: state.did, time: Math.max(0, ...times) };
}
