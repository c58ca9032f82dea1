/**
 * `plexus audit witness --as NAME [--dir DIR] [--signer DID] [--once] [--interval MS]`: a witness for the mesh's
 * audit log, cosigning its consistent checkpoints every --interval until SIGINT/SIGTERM (--once: one round). A thin
 * shell over @plexus/nodes startWitnessProcess (what a witness checks and keeps is said there): flags in, one line
 * (--json: one object) per cosigned checkpoint out. A rollback or a fork: "plexus: error: …" and exit 3, the state
 * untouched (a witness never moves past a refusal on its own: someone has to look).
 */
import { dirname, join, resolve } from "node:path";
import { defaultOrigin } from "@plexus/audit";
import { ErrorCode } from "@plexus/core";
import { KeyStore } from "@plexus/identity";
import {
  cosignatureSubject,
  startWitnessProcess,
  type WitnessCheck,
  type WitnessOutcome,
  type WitnessProcess,
} from "@plexus/nodes";
import { intOption, stringOption, type CommandContext } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { checkKeyName, waitForSignal } from "../../session.js";
import { COMMAND, EXIT_TAMPERED, openLive, trustedSigners } from "./shared.js";

/** The default folder of witness NAME for a mesh: witness/NAME/<mesh> next to the key folder. */
export function defaultWitnessDir(keys: string, name: string, mesh: string): string {
  return join(dirname(resolve(keys)), "witness", name, mesh);
}

export async function witnessAudit({ common, values, out }: CommandContext): Promise<number> {
  const asFlag = stringOption(values, "as", COMMAND);
  if (asFlag === undefined)
    throw new UsageError("audit witness needs --as NAME (the witness's key in --keys, created if missing)", COMMAND);
  const name = checkKeyName(asFlag, COMMAND, "--as");
  const dir = resolve(stringOption(values, "dir", COMMAND) ?? defaultWitnessDir(common.keys, name, common.mesh));
  const once = values["once"] === true;
  const intervalMs = intOption(values, "interval", COMMAND, 100) ?? 2_000;
  const signers = trustedSigners(values);
  const keys = new KeyStore(common.keys);
  const key = (await keys.has(name)) ? await keys.load(name) : await keys.create(name);
  const mesh = common.mesh;

  const live = await openLive(common);
  const signals = once ? undefined : waitForSignal(out);
  try {
    // The witness's only error line is its refusal: AUDIT_TAMPERED, as its exit code.
    const log = { info: out.info, warn: out.warn, error: (line: string) => out.error(line, ErrorCode.AuditTampered) };
    const running = await startWitnessProcess({
      nc: live.nc,
      store: live.store,
      mesh,
      name,
      key,
      dir,
      signers,
      once,
      intervalMs,
      log,
      onCheck: report,
    });
    const outcome = await untilStopped(running);
    if (outcome.ok) return 0;
    if (out.json)
      out.data("", {
        ok: false,
        witness: name,
        mesh,
        reason: outcome.reason,
        detail: outcome.detail,
        size: outcome.size,
        state: running.file,
      });
    return EXIT_TAMPERED;
  } finally {
    signals?.dispose();
    await live.close();
  }

  async function untilStopped(running: WitnessProcess): Promise<WitnessOutcome> {
    if (!signals) return running.done;
    const first = await Promise.race([running.done, signals.signal]);
    if (typeof first !== "string") return first;
    out.info(`plexus: ${first}: stopping the witness`);
    return running.stop();
  }

  function report(c: WitnessCheck): void {
    const file = join(dir, "state.json");
    if (c.none) {
      if (once)
        out.data(`no checkpoint with a Merkle root on mesh "${mesh}" yet: nothing to witness`, {
          ok: true,
          witness: name,
          mesh,
          size: c.state?.size ?? 0,
          advanced: false,
          state: file,
        });
      return;
    }
    if (!once && !c.advanced) return;
    const what = c.advanced
      ? `cosigned the checkpoint of size ${c.size}`
      : `the newest checkpoint (size ${c.size}) is the one already cosigned`;
    out.data(`witness ${name}: ${what} of mesh "${mesh}"; state in ${file}`, {
      ok: true,
      witness: name,
      did: key.did,
      mesh,
      origin: defaultOrigin(mesh),
      size: c.size,
      root: c.state?.root,
      advanced: c.advanced,
      state: file,
      subject: cosignatureSubject(mesh, name),
    });
  }
}
