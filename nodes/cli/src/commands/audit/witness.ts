/**
 * `plexus audit witness --as NAME [--dir DIR] [--signer DID] [--once] [--interval MS]`: a witness for the mesh's
 * audit log. It reads the newest checkpoint (with a Merkle root) from the mesh, fetches a consistency proof from the
 * last checkpoint it cosigned, and cosigns only when the checkpoint is signed by the pinned log key, for this mesh,
 * and consistent (@plexus/audit witness/). Its state (the last cosigned note) goes to its own folder, the copy outside
 * the mesh's account that `audit verify --witness` checks; the cosigned note is also published on
 * `plexus-audit.<mesh>.cosig.<NAME>`. A rollback or a fork: "plexus: error: …" and exit 3, the state untouched
 * (a witness never moves past a refusal on its own: someone has to look).
 *
 * A registry key rotation recorded in the log (RegistryKeyRotated, signed by the old key, with the new key's proof)
 * moves the pin: the keys it was rotated to are added to the state's log keys, so the witness goes on after the
 * rotation; someone holding only the mesh's credentials cannot write such an event.
 */
import { dirname, join, resolve } from "node:path";
import {
  defaultOrigin,
  loadWitnessState,
  newWitnessState,
  proveConsistency,
  saveWitnessState,
  witnessCheckpoint,
  type WitnessState,
} from "@plexus/audit";
import { newestRootedCheckpoint, openCheckpointNote } from "@plexus/audit/internal";
import { readRegistryRotations, registrySuccessors } from "@plexus/anp/internal";
import { meshSubjects } from "@plexus/core";
import { KeyStore } from "@plexus/identity";
import { intOption, stringOption, type CommandContext } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { checkKeyName, waitForSignal } from "../../session.js";
import { COMMAND, EXIT_TAMPERED, openLive, trustedSigners, type LiveStores } from "./shared.js";

/** The subject a witness publishes its cosigned notes on. */
export function cosignatureSubject(mesh: string, name: string): string {
  return `plexus-audit.${mesh}.cosig.${name}`;
}

/** The default folder of witness NAME for a mesh: witness/NAME/<mesh> next to the key folder. */
export function defaultWitnessDir(keys: string, name: string, mesh: string): string {
  return join(dirname(resolve(keys)), "witness", name, mesh);
}

type Outcome = { ok: true; size: number; advanced: boolean; none?: boolean } | { ok: false; reason: string; detail: string };

export async function witnessAudit({ common, values, out }: CommandContext): Promise<number> {
  const asFlag = stringOption(values, "as", COMMAND);
  if (asFlag === undefined) throw new UsageError("audit witness needs --as NAME (the witness's key in --keys, created if missing)", COMMAND);
  const name = checkKeyName(asFlag, COMMAND, "--as");
  const dir = resolve(stringOption(values, "dir", COMMAND) ?? defaultWitnessDir(common.keys, name, common.mesh));
  const file = join(dir, "state.json");
  const once = values["once"] === true;
  const interval = intOption(values, "interval", COMMAND, 100) ?? 2_000;
  const pinned = trustedSigners(values);
  const keys = new KeyStore(common.keys);
  const key = (await keys.has(name)) ? await keys.load(name) : await keys.create(name);
  const origin = defaultOrigin(common.mesh);

  let state = await loadWitnessState(file);
  if (state && (state.did !== key.did || state.origin !== origin)) {
    throw new CliError(`${file} belongs to the witness ${state.did} of ${state.origin}, not ${key.did} of ${origin}`);
  }
  if (state && pinned && !pinned.some((d) => state!.logKeys.includes(d))) {
    throw new CliError(`${file} pins the log key ${state.logKeys.join(", ")}, not --signer ${pinned.join(", ")}`);
  }

  const live = await openLive(common);
  const signals = once ? undefined : waitForSignal(out);
  try {
    for (;;) {
      const outcome = await witnessOnce(live, common.mesh);
      if (!outcome.ok) {
        out.error(`witness ${name} refuses the checkpoint of mesh "${common.mesh}": ${outcome.reason}: ${outcome.detail}`);
        if (out.json) out.data("", { ok: false, witness: name, mesh: common.mesh, reason: outcome.reason, detail: outcome.detail, size: state?.size ?? 0, state: file });
        return EXIT_TAMPERED;
      }
      if (once || outcome.advanced || outcome.none) report(outcome);
      if (once) return 0;
      const stop = await Promise.race([signals!.signal, new Promise<undefined>((r) => setTimeout(() => r(undefined), interval))]);
      if (stop !== undefined) {
        out.info(`plexus: ${stop}: stopping the witness`);
        return 0;
      }
    }
  } finally {
    signals?.dispose();
    await live.close();
  }

  function report(o: Extract<Outcome, { ok: true }>): void {
    if (o.none) {
      if (once) out.data(`no checkpoint with a Merkle root on mesh "${common.mesh}" yet: nothing to witness`, { ok: true, witness: name, mesh: common.mesh, size: state?.size ?? 0, advanced: false, state: file });
      return;
    }
    const what = o.advanced ? `cosigned the checkpoint of size ${o.size}` : `the newest checkpoint (size ${o.size}) is the one already cosigned`;
    out.data(`witness ${name}: ${what} of mesh "${common.mesh}"; state in ${file}`, {
      ok: true,
      witness: name,
      did: key.did,
      mesh: common.mesh,
      origin,
      size: o.size,
      root: state?.root,
      advanced: o.advanced,
      state: file,
      subject: cosignatureSubject(common.mesh, name),
    });
  }

  /** Adds to the pinned log keys those the log says they were rotated to (kept in the state at the next save). */
  async function followRotations(l: LiveStores): Promise<void> {
    if (!state) return;
    const lineage = [...registrySuccessors(state.logKeys, await readRegistryRotations(l.nc, meshSubjects(common.mesh)))];
    const added = lineage.filter((k) => !state!.logKeys.includes(k));
    if (added.length === 0) return;
    out.info(`witness ${name}: the registry key was rotated to ${added.join(", ")} (RegistryKeyRotated in the log): trusted from now on`);
    state = { ...state, logKeys: [...state.logKeys, ...added] };
  }

  async function witnessOnce(l: LiveStores, mesh: string): Promise<Outcome> {
    await followRotations(l);
    // Only checkpoints of this mesh by the keys it pins: one forged checkpoint, or one of another mesh signed by the
    // same key, must not become "the newest" the witness then refuses for good.
    const cp = await newestRootedCheckpoint(l.store, state?.logKeys ?? pinned, origin);
    if (!cp) {
      if (state && state.size > 0) {
        // Only checkpoints by other keys (the log re-signed), or none at all (the log no longer shows what it vouched for).
        const other = await newestRootedCheckpoint(l.store, undefined, origin);
        if (other) return { ok: false, reason: "bad_signature", detail: `the newest checkpoint (size ${other.size}) is signed by ${other.signer}, not by the pinned log key, and none by it is left` };
        return { ok: false, reason: "rollback", detail: `the mesh has no checkpoint, but this witness cosigned one of size ${state.size}` };
      }
      return { ok: true, size: 0, advanced: false, none: true };
    }
    if (!state) {
      const logKeys = pinned ?? [cp.signer];
      if (!pinned) out.warn(`no --signer: trusting the log key that signed the newest checkpoint, ${cp.signer} (pinned in ${file} from now on)`);
      state = newWitnessState({ name, did: key.did, origin, logKeys });
    }
    let note = cp.note;
    let proof: Uint8Array[] = [];
    const head = openCheckpointNote(cp.note, state.logKeys, origin);
    if (state.note !== undefined && head.ok && head.head.size > state.size) {
      try {
        // The proof goes to the newest checkpoint at the time it is made (a newer one may have come): witness that one.
        const made = await proveConsistency({ nc: l.nc, mesh, store: l.store, from: state.note, signers: state.logKeys });
        note = made.to;
        proof = made.hashes.map((h) => new Uint8Array(Buffer.from(h, "base64")));
      } catch {
        // no proof to be had (the log does not give the old root): an empty proof, which the witness refuses as a fork
      }
    }
    const r = witnessCheckpoint(state, note, proof, key, Date.now() / 1000);
    if (!r.ok) return r;
    if (r.advanced || state.note === undefined) {
      await saveWitnessState(file, r.state, dir);
      state = r.state;
      l.nc.publish(cosignatureSubject(mesh, name), r.note);
      await l.nc.flush();
    }
    return { ok: true, size: r.size, advanced: r.advanced };
  }
}

export type { WitnessState };
