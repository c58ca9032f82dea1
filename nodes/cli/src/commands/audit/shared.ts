/** What the `plexus audit` subcommands share: TIME values, trusted signers, the live stores, progress. */
import { registrySuccessors, type RotationEvent } from "@plexus/anp/internal";
import { openJetStreamAuditStore, type AuditStore } from "@plexus/audit";
import { auditPresence } from "@plexus/audit/internal";
import { checkHistoryStreams, type connectBus } from "@plexus/bus";
import { historyStreams } from "@plexus/bus/internal";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import type { CommonOptions, OptionValues } from "../../common-options.js";
import { stringOption } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { connectService } from "../../nats-auth.js";

export const COMMAND = "audit";

/** Exit code of `audit verify` when the chain does not hold. */
export const EXIT_TAMPERED = exitCodeFor(ErrorCode.AuditTampered);
/** Exit code of `audit verify` when the chain holds but nothing seals the events after it, or a trusted sealer reports a problem. */
export const EXIT_SEALER_STALLED = exitCodeFor(ErrorCode.AuditSealerStalled);
/** Exit code of `audit check-proof` when the proof holds but no --signer pinned who may sign its checkpoint. */
export const EXIT_NOT_PINNED = exitCodeFor(ErrorCode.ProofNotPinned);

const RELATIVE = /^-(\d+(?:\.\d+)?)(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** TIME: ISO 8601 (2026-11-22, 2026-11-22T10:00:00Z) or relative to now (-30s, -15m, -2h, -1d, -1w). */
export function parseTime(text: string, flag: string, now = Date.now()): number {
  const rel = RELATIVE.exec(text.trim());
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  const t = ISO.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(t))
    throw new UsageError(
      `--${flag} ${JSON.stringify(text)}: use ISO 8601 (2026-11-22T10:00:00Z) or a time ago like -15m, -2h, -1d`,
      COMMAND,
    );
  return t;
}

export function timeOption(values: OptionValues, flag: string): number | undefined {
  const v = stringOption(values, flag, COMMAND);
  return v === undefined ? undefined : parseTime(v, flag);
}

/** --signer DID (repeatable, or comma-separated), else $PLEXUS_AUDIT_SIGNERS. */
/** A trusted registry key's successors sign checkpoints (and sealer records) after a rotation: they are trusted too. */
export function followRotations(signers: string[], rotations: RotationEvent[]): string[] {
  return [...registrySuccessors(signers, rotations)];
}

export function trustedSigners(values: OptionValues): string[] | undefined {
  const raw = values["signer"];
  const given =
    raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === "string");
  const env = process.env["PLEXUS_AUDIT_SIGNERS"];
  const list = (given.length > 0 ? given : env !== undefined && env.trim() !== "" ? [env] : [])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const did of list)
    if (!did.startsWith("did:")) throw new UsageError(`--signer ${JSON.stringify(did)} is not a DID`, COMMAND);
  return list.length > 0 ? list : undefined;
}

type NatsConnection = Awaited<ReturnType<typeof connectBus>>;

export interface LiveStores {
  nc: NatsConnection;
  store: AuditStore;
  close(): Promise<void>;
}

/**
 * Connects and opens the mesh's audit store; a mesh or chain that does not exist is one clear line (exit 1), and so is
 * a history stream whose settings would let history go or whose history is already cut (HISTORY_STREAM_*, exit 3):
 * nothing is read from it as if it were whole.
 */
export async function openLive(common: CommonOptions): Promise<LiveStores> {
  const nc = await connectService(common, "plexus audit");
  try {
    const present = await auditPresence(nc, common.mesh);
    if (!present.log)
      throw new CliError(`mesh "${common.mesh}" does not exist on ${common.nats} (no mesh stream)`, {
        code: ErrorCode.MeshNotFound,
      });
    if (!present.chain)
      throw new CliError(
        `mesh "${common.mesh}" has no audit chain yet (no sealer has run: start one with plexus audit seal, plexus registry start or plexus up)`,
      );
    const refusal = await checkHistoryStreams(nc, historyStreams(common.mesh));
    if (refusal) throw new CliError(`${refusal.message} [${refusal.code}]`, { cause: refusal });
    const store = await openJetStreamAuditStore({ nc, mesh: common.mesh });
    return {
      nc,
      store,
      close: async () => {
        await store.close();
        await nc.close();
      },
    };
  } catch (err) {
    await nc.close();
    throw err;
  }
}

/** A progress line on stderr, redrawn at most 5 times a second; only on a terminal and never with --json. */
export function progress(json: boolean, what: string): { update(n: number): void; done(): void } {
  const tty = !json && process.stderr.isTTY === true;
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(n) {
      if (!tty || Date.now() - last < 200) return;
      last = Date.now();
      const rate = Math.round(n / Math.max(0.001, (last - started) / 1000));
      process.stderr.write(`\r${what} ${n.toLocaleString("en-US")} events (${rate.toLocaleString("en-US")}/s)\u001b[K`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write("\r\u001b[K");
    },
  };
}

export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
