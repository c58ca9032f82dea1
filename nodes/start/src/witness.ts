/**
 * A witness for a mesh's audit log as a process (`plexus audit witness`). Each round it reads the newest checkpoint
 * with a Merkle root, fetches a consistency proof from the last checkpoint it cosigned, and cosigns only when the
 * checkpoint is signed by a pinned log key, for this mesh, and consistent (@plexus/audit witness/). Its state (the last
 * cosigned note) goes to its own folder, the copy outside the mesh's account that `audit verify --witness` checks; the
 * cosigned note is also published on `plexus-audit.<mesh>.cosig.<NAME>`. A rollback or a fork ends the process with
 * a refusal, the state untouched: a witness never moves past a refusal on its own, someone has to look.
 *
 * A registry key rotation recorded in the log (RegistryKeyRotated, signed by the old key, with the new key's proof)
 * moves the pin: the keys it was rotated to join the state's log keys, so the witness goes on after the rotation;
 * someone holding only the mesh's credentials cannot write such an event.
 */
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { readRegistryRotations, registrySuccessors } from "@plexus/anp/internal";
import {
  defaultOrigin,
  loadWitnessState,
  newWitnessState,
  proveConsistency,
  saveWitnessState,
  witnessCheckpoint,
  type AuditStore,
  type WitnessState,
} from "@plexus/audit";
import { newestRootedCheckpoint, openCheckpointNote } from "@plexus/audit/internal";
import { ErrorCode, meshSubjects, PlexusError } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { NodeLog } from "./log.js";

/** The subject a witness publishes its cosigned notes on. */
export function cosignatureSubject(mesh: string, name: string): string {
  return `plexus-audit.${mesh}.cosig.${name}`;
}

export interface WitnessProcessOptions {
  /** A connection the caller owns (not closed by stop()), and the mesh's audit store opened on it. */
  nc: NatsConnection;
  store: AuditStore;
  mesh: string;
  /** The witness's name (in its cosignatures and its subject) and key. */
  name: string;
  key: KeyPair;
  /** The witness's folder: its state is `state.json` there. */
  dir: string;
  /** Log keys to pin on the first cosignature (undefined: the key that signed the newest checkpoint, with a warning). */
  signers?: string[] | undefined;
  /** One round, then done (default: a round every `intervalMs` until stop()). */
  once?: boolean;
  intervalMs?: number;
  log: NodeLog;
  /** Called after each round that did not refuse. */
  onCheck?: (check: WitnessCheck) => void;
}

/** One round's result: `none` when the mesh has no rooted checkpoint yet. */
export interface WitnessCheck {
  size: number;
  advanced: boolean;
  none: boolean;
  /** The witness's state after the round (undefined before its first cosignature). */
  state: WitnessState | undefined;
}

/** How a witness process ended: done (one round, or stopped), or a refusal (state untouched). */
export type WitnessOutcome = { ok: true } | { ok: false; reason: string; detail: string; size: number };

export interface WitnessProcess {
  /** The state file. */
  readonly file: string;
  /** Resolves when the process ends on its own (`once`, a refusal); rejects on a failure (NATS, the state file). */
  readonly done: Promise<WitnessOutcome>;
  /** Ends the loop after the round under way (its refusal, if any, is the outcome). */
  stop(): Promise<WitnessOutcome>;
}

type Round =
  | { ok: true; size: number; advanced: boolean; none?: boolean }
  | { ok: false; reason: string; detail: string };

/**
 * Checks the state in `dir` belongs to this witness and mesh (and pins one of `signers`, when given), then runs.
 * A state of another witness, mesh or log key is INVALID_ARGUMENT.
 */
export async function startWitnessProcess(o: WitnessProcessOptions): Promise<WitnessProcess> {
  const file = join(o.dir, "state.json");
  const origin = defaultOrigin(o.mesh);
  let state = await loadWitnessState(file);
  if (state && (state.did !== o.key.did || state.origin !== origin)) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `${file} belongs to the witness ${state.did} of ${state.origin}, not ${o.key.did} of ${origin}`,
    );
  }
  if (state && o.signers && !o.signers.some((d) => state!.logKeys.includes(d))) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `${file} pins the log key ${state.logKeys.join(", ")}, not --signer ${o.signers.join(", ")}`,
    );
  }
  let stopping = false;
  let wake: () => void = () => undefined;
  const done = loop();
  return {
    file,
    done,
    stop() {
      stopping = true;
      wake();
      return done;
    },
  };

  async function loop(): Promise<WitnessOutcome> {
    for (;;) {
      const round = await witnessOnce();
      if (!round.ok) {
        o.log.error(`witness ${o.name} refuses the checkpoint of mesh "${o.mesh}": ${round.reason}: ${round.detail}`);
        return { ok: false, reason: round.reason, detail: round.detail, size: state?.size ?? 0 };
      }
      o.onCheck?.({ size: round.size, advanced: round.advanced, none: round.none === true, state });
      if (o.once || stopping) return { ok: true };
      await new Promise<void>((r) => {
        const timer = setTimeout(r, o.intervalMs ?? 2_000);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      if (stopping) return { ok: true };
    }
  }

  /** Adds to the pinned log keys those the log says they were rotated to (kept in the state at the next save). */
  async function followRotations(): Promise<void> {
    if (!state) return;
    const lineage = [...registrySuccessors(state.logKeys, await readRegistryRotations(o.nc, meshSubjects(o.mesh)))];
    const added = lineage.filter((k) => !state!.logKeys.includes(k));
    if (added.length === 0) return;
    o.log.info(
      `witness ${o.name}: the registry key was rotated to ${added.join(", ")} (RegistryKeyRotated in the log): trusted from now on`,
    );
    state = { ...state, logKeys: [...state.logKeys, ...added] };
  }

  async function witnessOnce(): Promise<Round> {
    await followRotations();
    // Only checkpoints of this mesh by the keys it pins: one forged checkpoint, or one of another mesh signed by the
    // same key, must not become "the newest" the witness then refuses for good.
    const cp = await newestRootedCheckpoint(o.store, state?.logKeys ?? o.signers, origin);
    if (!cp) return noCheckpoint();
    if (!state) {
      const logKeys = o.signers ?? [cp.signer];
      if (!o.signers)
        o.log.warn(
          `no --signer: trusting the log key that signed the newest checkpoint, ${cp.signer} (pinned in ${file} from now on)`,
        );
      state = newWitnessState({ name: o.name, did: o.key.did, origin, logKeys });
    }
    const { note, proof } = await toNewest(state, cp.note);
    const r = witnessCheckpoint(state, note, proof, o.key, Date.now() / 1000);
    if (!r.ok) return r;
    if (r.advanced || state.note === undefined) {
      await saveWitnessState(file, r.state, o.dir);
      state = r.state;
      o.nc.publish(cosignatureSubject(o.mesh, o.name), r.note);
      await o.nc.flush();
    }
    return { ok: true, size: r.size, advanced: r.advanced };
  }

  async function noCheckpoint(): Promise<Round> {
    if (!state || state.size === 0) return { ok: true, size: 0, advanced: false, none: true };
    // Only checkpoints by other keys (the log re-signed), or none at all (the log no longer shows what it vouched for).
    const other = await newestRootedCheckpoint(o.store, undefined, origin);
    if (other)
      return {
        ok: false,
        reason: "bad_signature",
        detail: `the newest checkpoint (size ${other.size}) is signed by ${other.signer}, not by the pinned log key, and none by it is left`,
      };
    return {
      ok: false,
      reason: "rollback",
      detail: `the mesh has no checkpoint, but this witness cosigned one of size ${state.size}`,
    };
  }

  /** The note to witness and the consistency proof to it from the last cosigned one (empty: none to be had). */
  async function toNewest(s: WitnessState, newest: string): Promise<{ note: string; proof: Uint8Array[] }> {
    const head = openCheckpointNote(newest, s.logKeys, origin);
    if (s.note === undefined || !head.ok || head.head.size <= s.size) return { note: newest, proof: [] };
    try {
      // The proof goes to the newest checkpoint at the time it is made (a newer one may have come): witness that one.
      const made = await proveConsistency({ nc: o.nc, mesh: o.mesh, store: o.store, from: s.note, signers: s.logKeys });
      return { note: made.to, proof: made.hashes.map((h) => new Uint8Array(Buffer.from(h, "base64"))) };
    } catch {
      // no proof to be had (the log does not give the old root): an empty proof, which the witness refuses as a fork
      return { note: newest, proof: [] };
    }
  }
}
