/**
 * `audit verify --witness FILE_OR_DIR [--quorum K]` and the coverage rule of a pinned signer (`--max-unsealed N`):
 * the checks that hold the log to what is kept outside the mesh's account (a witness's folder) and to the registry
 * key. Each witness's newest cosigned checkpoint must verify (its cosignature by the witness key named in its state;
 * the log's signature by --signer when given, else by the key the witness pinned) and the log (live, or an export
 * file from position 1 with --file) must give its root at its size; at least K of them must hold (default: all given).
 */
import { ErrorCode } from "@plexus/core";
import {
  defaultOrigin,
  exportHoldsHead,
  loadWitnessState,
  logHoldsHead,
  uncoveredTail,
  verifyCheckpoint,
  witnessedCheckpoint,
  type AuditStore,
  type LogAgainstHead,
  type VerifyReport,
} from "@plexus/audit";
import { witnessStatePath } from "@plexus/audit/internal";
import type { NatsConnection } from "@nats-io/transport-node";
import type { OptionValues } from "../../common-options.js";
import { intOption } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { COMMAND } from "./shared.js";

/** Events past the newest pinned checkpoint tolerated before `checkpoint_missing` (the sealer signs every 1,000 links). */
export const DEFAULT_MAX_UNSEALED = 1_000;

export interface WitnessVerdict {
  witness: string;
  file: string;
  did?: string;
  size?: number;
  ok: boolean;
  kind?: string;
  position?: number;
  detail?: string;
}

export interface WitnessOptions {
  files: string[];
  quorum: number;
  maxUnsealed: number;
}

export function witnessOptions(values: OptionValues): WitnessOptions {
  const raw = values["witness"];
  const files = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).filter(
    (v): v is string => typeof v === "string",
  );
  const quorum = intOption(values, "quorum", COMMAND, 1);
  if (quorum !== undefined && files.length === 0) throw new UsageError("--quorum needs --witness", COMMAND);
  if (quorum !== undefined && quorum > files.length)
    throw new UsageError(`--quorum ${quorum} is more than the ${files.length} --witness given`, COMMAND);
  return {
    files,
    quorum: quorum ?? files.length,
    maxUnsealed: intOption(values, "max-unsealed", COMMAND, 0) ?? DEFAULT_MAX_UNSEALED,
  };
}

/** What a witnessed head is held against: the live log, or an export file from position 1. */
export type HeadCheck = (head: { size: number; root: Uint8Array }) => Promise<LogAgainstHead>;

export function liveLog(nc: NatsConnection, mesh: string): HeadCheck {
  return (head) => logHoldsHead(nc, mesh, head);
}

export function exportFile(path: string): HeadCheck {
  return (head) => exportHoldsHead(path, head);
}

/** Each witness's verdict on the log of `mesh`, as `holds` reads it. */
export async function checkWitnesses(
  mesh: string,
  files: string[],
  trusted: string[] | undefined,
  holds: HeadCheck,
): Promise<WitnessVerdict[]> {
  const verdicts: WitnessVerdict[] = [];
  for (const given of files) {
    const file = await witnessStatePath(given);
    const state = await loadWitnessState(file).catch((err: Error) => {
      throw new CliError(`--witness ${given}: ${err.message}`, { cause: err, code: ErrorCode.InvalidArgument });
    });
    if (!state)
      throw new CliError(`--witness ${given}: no witness state at ${file}`, { code: ErrorCode.InvalidArgument });
    const w = witnessedCheckpoint(state, { ...(trusted ? { logKeys: trusted } : {}), origin: defaultOrigin(mesh) });
    if (!w.ok) {
      verdicts.push({
        witness: state.name,
        file,
        did: state.did,
        ok: false,
        kind: "checkpoint_signature",
        position: state.size,
        detail: `witness ${state.name}: ${w.detail}`,
      });
      continue;
    }
    const held = await holds(w.head);
    verdicts.push(
      held.ok
        ? { witness: state.name, file, did: state.did, size: w.head.size, ok: true }
        : {
            witness: state.name,
            file,
            did: state.did,
            size: w.head.size,
            ok: false,
            kind: held.kind,
            position: held.position,
            detail: `witness ${state.name} (size ${w.head.size}): ${held.detail}`,
          },
    );
  }
  return verdicts;
}

/** The report turned into a failure when fewer than `quorum` witnesses hold (the first failing one's kind). */
export function applyWitnesses(report: VerifyReport, verdicts: WitnessVerdict[], quorum: number): VerifyReport {
  const holding = verdicts.filter((v) => v.ok).length;
  if (holding >= quorum || !report.ok) return report;
  const first = verdicts.find((v) => !v.ok)!;
  const detail = `${holding} of ${verdicts.length} witnesses hold, ${quorum} required; ${first.detail}`;
  return {
    ...report,
    ok: false,
    position: first.position ?? 0,
    kind: first.kind as Extract<VerifyReport, { ok: false }>["kind"],
    detail,
  };
}

/**
 * With pinned signers: the report turned into `checkpoint_missing` when no pinned checkpoint covers the chain's end.
 * `later` (live stores) gives the size covered by checkpoints signed while the walk ran (it read the checkpoints
 * first, then the links up to the end of a chain a sealer kept extending): asked only when the first answer is a gap.
 */
export async function applyCoverage(
  report: VerifyReport,
  maxUnsealed: number,
  later?: (headSize: number) => Promise<number>,
): Promise<VerifyReport> {
  if (!report.ok) return report;
  let covered = report.checkpoints.last?.size ?? 0;
  if (uncoveredTail(covered, report.head.size, maxUnsealed) && later)
    covered = Math.max(covered, await later(report.head.size));
  const gap = uncoveredTail(covered, report.head.size, maxUnsealed);
  return gap ? { ...report, ok: false, ...gap } : report;
}

/**
 * The largest checkpoint now in the store by a trusted key whose signature verifies, of a size the walk verified
 * (≤ `headSize`), and whose head is the stored link there (a link the walk checked).
 */
export async function coveredNow(store: AuditStore, trusted: readonly string[], headSize: number): Promise<number> {
  let covered = 0;
  for await (const cp of store.checkpoints()) {
    if (cp.size <= covered || cp.size > headSize || !trusted.includes(cp.signer) || !verifyCheckpoint(cp)) continue;
    if ((await store.link(cp.size))?.hash === cp.head) covered = cp.size;
  }
  return covered;
}
