/**
 * `plexus audit verify [--from N] [--to N] [--file EXPORT] [--signer DID] [--witness FILE_OR_DIR [--quorum K]]
 * [--max-unsealed N] [--stall-after SECONDS]`: exit 0 when the chain holds, 3 when not, 4 when it holds but nothing
 * seals the events after it, or a trusted sealer reports it is stalled (live stores only; see sealer-check.ts).
 */
import { checkedRotation, type RotationEvent } from "@plexus/anp/internal";
import { readExport, verifyChain, verifyStore, type VerifyReport } from "@plexus/audit";
import { ErrorCode } from "@plexus/core";
import { intOption, stringOption, type CommandContext } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";
import {
  COMMAND,
  count,
  EXIT_SEALER_STALLED,
  EXIT_TAMPERED,
  followRotations,
  openLive,
  progress,
  trustedSigners,
} from "./shared.js";
import { checkSealers, stallAfterOption, trustedWithRotations, type SealerCheck } from "./sealer-check.js";
import {
  applyCoverage,
  applyWitnesses,
  checkWitnesses,
  coveredNow,
  exportFile,
  liveLog,
  witnessOptions,
  type WitnessVerdict,
} from "./witness-check.js";

export async function verifyAudit({ common, values, out }: CommandContext): Promise<number> {
  const from = intOption(values, "from", COMMAND, 1);
  const to = intOption(values, "to", COMMAND, 0);
  if (from !== undefined && to !== undefined && to < from)
    throw new UsageError(`--to ${to} comes before --from ${from}`, COMMAND);
  const file = stringOption(values, "file", COMMAND);
  const signers = trustedSigners(values);
  const stallAfterMs = stallAfterOption(values);
  const witness = witnessOptions(values);
  let witnesses: WitnessVerdict[] | undefined;
  const bar = progress(out.json, "verifying…");
  const range = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  const checks = (trusted: string[] | undefined) => ({
    ...(trusted ? { trustedSigners: trusted } : {}),
    onProgress: (n: number) => bar.update(n),
  });
  let report: VerifyReport;
  let sealers: SealerCheck | undefined;
  try {
    if (file !== undefined) {
      const trusted = signers && followRotations(signers, await rotationsInExport(file));
      const src = await readExport(file);
      if (from !== undefined && from < src.from)
        throw new UsageError(`--from ${from}: the export starts at position ${src.from}`, COMMAND);
      // From a later position, the walk starts from the file's own link before it (so the header's start hash is not needed).
      const start = from !== undefined && from > src.from ? { from } : { from: src.from, prevHash: src.prevHash };
      report = await verifyChain({
        events: src.events,
        links: src.links,
        checkpoints: src.checkpoints,
        ...start,
        ...(to !== undefined ? { to } : {}),
        ...checks(trusted),
      });
      if (trusted && to === undefined) report = await applyCoverage(report, witness.maxUnsealed);
      if (witness.files.length > 0) {
        if (src.from !== 1)
          throw new UsageError(
            `--witness with --file needs an export from position 1 (${file} starts at ${src.from})`,
            COMMAND,
          );
        witnesses = await checkWitnesses(src.header.mesh, witness.files, trusted, exportFile(file));
        report = applyWitnesses(report, witnesses, witness.quorum);
      }
    } else {
      const live = await openLive(common);
      try {
        const trusted = await trustedWithRotations(live.nc, common.mesh, signers);
        report = await verifyStore({ nc: live.nc, mesh: common.mesh, store: live.store, ...range, ...checks(trusted) });
        // A pinned key must have signed a checkpoint near the end: a log whose checkpoints were dropped is not ok.
        if (trusted && to === undefined)
          report = await applyCoverage(report, witness.maxUnsealed, (head) => coveredNow(live.store, trusted, head));
        if (witness.files.length > 0) {
          witnesses = await checkWitnesses(common.mesh, witness.files, trusted, liveLog(live.nc, common.mesh));
          report = applyWitnesses(report, witnesses, witness.quorum);
        }
        sealers = await checkSealers(live.nc, common.mesh, live.store, {
          ...(trusted ? { trusted } : {}),
          ...(stallAfterMs !== undefined ? { stallAfterMs } : {}),
        });
      } finally {
        await live.close();
      }
    }
  } finally {
    bar.done();
  }
  const source = file !== undefined ? { source: "file", file } : { source: "live", mesh: common.mesh };
  if (out.json) {
    out.data("", {
      ...report,
      ...source,
      ...(witnesses ? { witnesses, quorum: witness.quorum } : {}),
      ...(sealers
        ? { sealers: { stalled: sealers.stalled.length > 0, reasons: sealers.stalled, warnings: sealers.warnings } }
        : {}),
    });
  } else {
    printReport(out, report, file ?? `mesh "${common.mesh}"`, signers !== undefined);
    for (const w of witnesses ?? [])
      out.info(
        w.ok
          ? `witness ${w.witness}: the log holds its checkpoint of size ${w.size}`
          : `witness ${w.witness}: ${w.kind}: ${w.detail}`,
      );
  }
  // Said even with --json (stderr): a stalled sealer means the events after the chain's end are not being sealed.
  for (const reason of sealers?.stalled ?? []) out.error(`SEALER STALLED: ${reason}`, ErrorCode.AuditSealerStalled);
  for (const warning of sealers?.warnings ?? []) out.warn(warning);
  if (!report.ok) return EXIT_TAMPERED;
  return sealers && sealers.stalled.length > 0 ? EXIT_SEALER_STALLED : 0;
}

function printReport(out: CommandContext["out"], r: VerifyReport, where: string, trusted: boolean): void {
  const cps = r.checkpoints;
  const range = r.verified > 0 ? ` (positions ${r.from}–${r.head.size})` : "";
  const start = r.trustedStart
    ? `; started from the stored hash of position ${r.trustedStart.size}, taken on trust`
    : "";
  if (r.ok) {
    out.data(
      `ok: verified ${count(r.verified, "event")} of ${where}${range}; head ${r.head.size} ${r.head.hash}${start}`,
      undefined,
    );
  } else {
    out.data(`FAILED at position ${r.position}: ${r.kind}: ${r.detail}`, undefined);
    out.data(
      `verified ${count(r.verified, "event")} of ${where}${range} before it; last sound head ${r.head.size} ${r.head.hash}${start}`,
      undefined,
    );
  }
  const signers = Object.entries(cps.signers).map(([did, n]) => `${shortDid(did)} (${n})`);
  out.info(
    `checkpoints: ${cps.checked.toLocaleString("en-US")} checked${cps.roots ? ` (${cps.roots.toLocaleString("en-US")} Merkle roots recomputed)` : ""}${cps.last ? `, the last at ${cps.last.size} signed ${new Date(cps.last.at).toISOString()}` : ""}${signers.length ? `; signed by ${signers.join(", ")}` : ""}`,
  );
  if (r.ok && cps.checked === 0 && r.verified > 0)
    out.warn("no signed checkpoint covers this range: a cut-off tail would go unnoticed");
  if (!trusted && signers.length > 0)
    out.info("(pass --signer DID to require checkpoints signed by your registry's key)");
}

/** The registry rotations recorded in an export file (one pass before the verifying one). */
async function rotationsInExport(file: string): Promise<RotationEvent[]> {
  const found: RotationEvent[] = [];
  for await (const e of (await readExport(file)).events) {
    if (!e.subject.includes(".registry.RegistryKeyRotated.")) continue;
    const rotation = checkedRotation(e.data);
    if (rotation) found.push(rotation);
  }
  return found;
}
