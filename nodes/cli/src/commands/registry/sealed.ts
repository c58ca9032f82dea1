/**
 * `plexus registry start --sealed`: a registry node whose key is not on disk, unsealed by K Shamir shares (share
 * files at start, or custodians' signed `plexus registry unseal` calls); and `plexus registry unseal`.
 */
import { readShareFiles, sendUnsealShare, type KeyShare } from "@plexus/custody";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { isDid } from "@plexus/identity";
import type { RegistryNodeOptions, SealedNodeOptions, SealedRegistryNode } from "@plexus/registry";
import { positionalArgs, stringOption, type CommonOptions, type OptionValues } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import type { Output } from "../../output.js";
import { loadKey, waitForSignal } from "../../session.js";
import { resolveAgent } from "../../lib/agent-ref.js";
import { DEFAULT_HTTP, type HttpListen } from "../../lib/http-option.js";
import { describeNode } from "../../lib/registry-node.js";

const COMMAND = "registry";
const SEALED_FLAGS = ["sealed", "unseal-share", "custodian", "registry-did"] as const;
const UNSEAL_FLAGS = ["url", "share", "as"] as const;

/** Options that belong to another mode are usage errors (say, --custodian without --sealed). */
export function checkSealedFlags(values: OptionValues, mode: "start" | "sealed" | "unseal"): void {
  const misplaced = (flags: readonly string[], where: string) => {
    for (const f of flags) if (values[f] !== undefined) throw new UsageError(`--${f} is only for ${where}`, COMMAND);
  };
  if (mode !== "sealed") misplaced(SEALED_FLAGS, "plexus registry start --sealed");
  if (mode !== "unseal") misplaced(UNSEAL_FLAGS, "plexus registry unseal");
  if (mode === "sealed" && values["registry-key"] !== undefined) {
    throw new UsageError(
      "--registry-key cannot be used with --sealed: a sealed node's key comes from its shares",
      COMMAND,
    );
  }
}

export interface SealedStart {
  common: CommonOptions;
  values: OptionValues;
  out: Output;
  http: HttpListen;
  dataDir: string | undefined;
  tuning: Partial<RegistryNodeOptions>;
}

async function sealedOptions(s: SealedStart): Promise<SealedNodeOptions["sealed"]> {
  const files = (s.values["unseal-share"] as string[] | undefined) ?? [];
  const custodians = await Promise.all(
    ((s.values["custodian"] as string[] | undefined) ?? []).map((c) =>
      resolveAgent(s.common, c, COMMAND, "--custodian"),
    ),
  );
  const did = stringOption(s.values, "registry-did", COMMAND);
  if (did !== undefined && !isDid(did))
    throw new UsageError(`--registry-did must be a did:key, got ${JSON.stringify(String(did).slice(0, 80))}`, COMMAND);
  if (did === undefined && files.length === 0) {
    throw new UsageError(
      "--sealed needs the key the shares restore: --registry-did DID, or --unseal-share FILE (repeatable)",
      COMMAND,
    );
  }
  let shares: KeyShare[] = [];
  try {
    shares = await readShareFiles(files);
  } catch (err) {
    if (isPlexusError(err)) throw new CliError(`--unseal-share: ${err.message}`, { cause: err });
    throw err;
  }
  const enough = shares.length > 0 && shares.length >= (shares[0]?.threshold ?? Infinity);
  if (!enough && custodians.length === 0)
    throw new UsageError(
      "--sealed with fewer than K --unseal-share files needs --custodian DID (repeatable) to be unsealed over HTTP",
      COMMAND,
    );
  if (!enough && s.http === false)
    throw new UsageError(
      "--sealed with fewer than K --unseal-share files needs HTTP (not --http off): custodians unseal it there",
      COMMAND,
    );
  return { ...(did !== undefined ? { did } : {}), custodians, shares };
}

/** Runs a sealed node until Ctrl-C: prints its sealed state, then the usual description once unsealed. */
export async function startSealed(s: SealedStart): Promise<number> {
  const { common, out, dataDir } = s;
  const sealed = await sealedOptions(s);
  const options: SealedNodeOptions = {
    ...s.tuning,
    nats: common.nats,
    mesh: common.mesh,
    http: s.http,
    log: (line) => out.info(`plexus: ${line}`),
    sealed,
  };
  if (dataDir !== undefined) options.dataDir = dataDir;
  const signals = waitForSignal(out);
  let node: SealedRegistryNode | undefined;
  try {
    const { startSealedRegistryNode } = await import("@plexus/registry");
    node = await startSealedRegistryNode(options).catch((err: unknown) => {
      if (s.http && isPlexusError(err) && err.details?.["portInUse"] === true) {
        throw new CliError(
          `HTTP port ${s.http.port} on ${s.http.host} is already in use; choose another with --http HOST:PORT`,
          { cause: err },
        );
      }
      if (isPlexusError(err))
        throw new CliError(`cannot start the sealed node: ${err.message} [${err.code}]`, { cause: err });
      throw err;
    });
    const extra = { nats: common.nats, data: dataDir ?? null };
    if (node.sealed) {
      const st = node.status();
      const held =
        st.threshold === null
          ? "no shares held yet"
          : `${st.received} of ${st.threshold} shares held (split ${st.splitId})`;
      out.data(
        [
          `registry  ${node.did} (SEALED)`,
          `mesh      ${node.mesh}`,
          `http      ${node.httpUrl}`,
          `unseal    ${held}; ${st.custodians} custodian(s)`,
        ].join("\n"),
        {
          registry: node.did,
          mesh: node.mesh,
          http: node.httpUrl,
          ...extra,
          sealed: true,
          threshold: st.threshold,
          received: st.received,
          custodians: st.custodians,
        },
      );
      out.info(
        `plexus: registry node SEALED; each custodian runs: plexus registry unseal --url ${node.httpUrl} --share FILE --as KEY. Ctrl-C to stop.`,
      );
      const first = await Promise.race([signals.signal, node.unsealed]);
      if (typeof first === "string") return await stopNode(node, first, out);
    }
    const running = await node.unsealed;
    const shown = describeNode(running, { ...extra, sealed: false });
    out.data(shown.human, shown.json);
    out.info(
      `plexus: registry node unsealed and up for mesh "${common.mesh}" on ${common.nats}; the key stays in memory only. Ctrl-C to stop.`,
    );
    return await stopNode(node, await signals.signal, out);
  } finally {
    await node?.stop().catch(() => undefined);
    signals.dispose();
  }
}

async function stopNode(node: SealedRegistryNode, signal: string, out: Output): Promise<number> {
  out.info(`plexus: ${signal}: stopping the registry node…`);
  await node.stop();
  out.info("plexus: registry node stopped");
  return 0;
}

/** `plexus registry unseal --url URL --share FILE --as KEY`: one signed share to a sealed node. */
export async function runUnseal(
  common: CommonOptions,
  values: OptionValues,
  args: string[],
  out: Output,
): Promise<number> {
  positionalArgs(args, [], COMMAND);
  checkSealedFlags(values, "unseal");
  const url = stringOption(values, "url", COMMAND) ?? `http://${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}`;
  if (!/^https?:\/\/[^\s/]+/.test(url))
    throw new UsageError(
      `--url must be the node's HTTP address, such as http://127.0.0.1:7420, got ${JSON.stringify(url)}`,
      COMMAND,
    );
  const file = stringOption(values, "share", COMMAND);
  const as = stringOption(values, "as", COMMAND);
  if (file === undefined) throw new UsageError("missing --share FILE (your share file)", COMMAND);
  if (as === undefined)
    throw new UsageError("missing --as KEYNAME (your custodian key, which signs the request)", COMMAND);
  const key = await loadKey(common, as, COMMAND);
  try {
    const [share] = await readShareFiles([file]);
    const p = await sendUnsealShare({ url, share: share!, key });
    const human = p.sealed
      ? `share #${p.index} accepted: ${p.received} of ${p.threshold} held, ${p.threshold - p.received} more needed`
      : `share #${p.index} accepted: the node is unsealed and starting as ${p.did}`;
    out.data(human, p);
    return 0;
  } catch (err) {
    if (isPlexusError(err, ErrorCode.RegistryUnavailable))
      throw new CliError(`${err.message} (is a sealed node serving HTTP there?)`, { cause: err });
    if (isPlexusError(err)) throw new CliError(`unseal refused: ${err.message} [${err.code}]`, { cause: err });
    throw err;
  }
}
