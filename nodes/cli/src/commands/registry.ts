/**
 * `plexus registry start`, and what the registry commands share: the registry key, the --http flag, starting a
 * node (also used by `plexus up`), talking to the registry over NATS, and naming an agent by DID or key name.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ErrorCode, isPlexusError, meshSubjects } from "@plexus/core";
import { KeyStore, resolveAgentRef, type KeyPair } from "@plexus/identity";
import { RegistryClient } from "@plexus/anp";
import type { RegistryNode, RegistryNodeOptions } from "@plexus/registry";
import { positionalArgs, secondsOption, stringOption, type CommandDef, type CommonOptions, type OptionValues } from "../common-options.js";
import { CliError, UsageError } from "../errors.js";
import type { Output } from "../output.js";
import { checkKeyName, createHint, keyStore, waitForSignal } from "../session.js";
import { checkSealedFlags, runUnseal, startSealed } from "./registry-sealed.js";
import { connectService, registryNatsAuth } from "../nats-auth.js";
import type { NatsConnection } from "@nats-io/transport-node";
import type { SealerNode } from "@plexus/audit";
import { startMeshSealer } from "./audit/sealer-process.js";

const COMMAND = "registry";
export const DEFAULT_REGISTRY_KEY = "registry";
export const DEFAULT_HTTP = { host: "127.0.0.1", port: 7420 } as const;

export type HttpListen = { host: string; port: number } | false;

/** --registry-key NAME from the key folder, created when missing (the registry's and the audit sealer's identity). */
export async function registryKey(common: CommonOptions, values: OptionValues, command: string, info: (line: string) => void): Promise<KeyPair> {
  const name = checkKeyName(stringOption(values, "registry-key", command) ?? DEFAULT_REGISTRY_KEY, command, "--registry-key");
  const store = new KeyStore(common.keys);
  if (await store.has(name)) return store.load(name);
  const key = await store.create(name);
  info(`plexus: created the registry key "${name}" (${key.did}) in ${common.keys}`);
  return key;
}

/** --http HOST:PORT (IPv6 as [::1]:PORT; port 0 picks a free one) or "off". */
export function httpOption(values: OptionValues, command: string): HttpListen {
  const v = stringOption(values, "http", command);
  if (v === undefined) return { ...DEFAULT_HTTP };
  if (v === "off") return false;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--http must be HOST:PORT (such as 127.0.0.1:7420) or off, got ${JSON.stringify(v)}`, command);
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}

export interface StartNodeOptions {
  nats: string;
  mesh: string;
  key: KeyPair;
  http: HttpListen;
  dataDir: string | undefined;
  out: Output;
  /** Liveness, credential and reputation settings (registry start's tuning flags); defaults when absent. */
  tuning?: Partial<RegistryNodeOptions>;
}

/** Starts a registry node; an HTTP port in use is one line pointing at --http. */
export async function startNode(o: StartNodeOptions): Promise<RegistryNode> {
  if (o.dataDir !== undefined) await mkdir(o.dataDir, { recursive: true });
  const options: RegistryNodeOptions = {
    ...o.tuning,
    nats: o.nats,
    mesh: o.mesh,
    key: o.key,
    http: o.http,
    log: (line) => o.out.info(`plexus: ${line}`),
    // Loud: the node stays up only to say why it is not ready (/readyz 503).
    onRefused: (refusal) => o.out.error(`registry: ${refusal.message} [${refusal.code}]; not ready, not following the log`),
  };
  if (o.dataDir !== undefined) options.dataDir = o.dataDir;
  try {
    // Loaded on demand: the registry (hono, did-jwt, reputation) is not needed by any other command.
    const { startRegistryNode } = await import("@plexus/registry");
    return await startRegistryNode(options);
  } catch (err) {
    if (o.http && isPlexusError(err) && err.details?.["portInUse"] === true) {
      throw new CliError(`HTTP port ${o.http.port} on ${o.http.host} is already in use (another registry or plexus up?); choose another with --http HOST:PORT, or --http off`, { cause: err });
    }
    throw err;
  }
}

/** What a node serves, for people (stdout lines) and for scripts (one JSON object). */
export function describeNode(node: RegistryNode, extra: Record<string, unknown> = {}): { human: string; json: Record<string, unknown> } {
  const s = meshSubjects(node.mesh);
  const subjects = { service: s.registryServiceAll, events: s.registryEventsAll, heartbeats: s.heartbeatBucket };
  return {
    human: [
      `registry  ${node.did}`,
      `mesh      ${node.mesh}`,
      `http      ${node.httpUrl ?? "off"}`,
      `serves    ${subjects.service} (requests); heartbeats in KV ${subjects.heartbeats}; records ${subjects.events}`,
    ].join("\n"),
    json: { registry: node.did, mesh: node.mesh, http: node.httpUrl ?? null, subjects, ...extra },
  };
}

/** Connects to NATS, asks the registry, closes; no node answering is one line saying how to start one. */
export async function withRegistry<T>(common: CommonOptions, command: string, ask: (client: RegistryClient) => Promise<T>): Promise<T> {
  const nc = await connectService(common, `plexus ${command}`);
  try {
    return await ask(new RegistryClient(nc, common.mesh));
  } catch (err) {
    if (isPlexusError(err, ErrorCode.RegistryUnavailable)) {
      throw new CliError(`no registry node answered on mesh "${common.mesh}" at ${common.nats}; start one with "plexus up" or "plexus registry start"`, { cause: err });
    }
    throw err;
  } finally {
    await nc.close();
  }
}

/** A refusal (REQUEST_REFUSED) as one line that names its stable reason; anything else unchanged. */
export function refusal(err: unknown, what: string): unknown {
  if (!isPlexusError(err, ErrorCode.RequestRefused)) return err;
  const reason = typeof err.details?.["reason"] === "string" ? err.details["reason"] : "unknown";
  const text = err.message.includes(reason) ? err.message : `refused (${reason}): ${err.message}`;
  return new CliError(`${what}: ${text}`, { cause: err });
}

/** AGENT: a did:key as is, or a key name in the key folder. `label` names the argument in messages. */
export async function resolveAgent(common: CommonOptions, ref: string, command: string, label = "AGENT"): Promise<string> {
  if (!ref.startsWith("did:")) checkKeyName(ref, command, label);
  try {
    return await resolveAgentRef(ref, keyStore(common));
  } catch (err) {
    if (isPlexusError(err, ErrorCode.InvalidDid)) throw new CliError(`${label}: ${err.message}`, { cause: err });
    if (isPlexusError(err, ErrorCode.KeyNotFound)) {
      throw new CliError(`${label} ${ref}: not a DID, and no key named "${ref}" in ${common.keys} (pass a did:key:…, or create it with: ${createHint(common, ref)})`, { cause: err });
    }
    throw err;
  }
}

/** --trust-anchor DID (repeatable; DIDs or key names), for registry start and up; undefined when not given. */
export async function trustAnchorOption(common: CommonOptions, values: OptionValues, command: string): Promise<string[] | undefined> {
  const anchors = values["trust-anchor"];
  if (!Array.isArray(anchors)) return undefined;
  return Promise.all(anchors.map((a) => resolveAgent(common, String(a), command, "--trust-anchor")));
}

/** A number from 0 to 1 (a score). */
export function scoreOption(values: OptionValues, name: string, command: string): number | undefined {
  const v = stringOption(values, name, command);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v.trim()) || n > 1) throw new UsageError(`--${name} must be a number from 0 to 1, got "${v}"`, command);
  return n;
}

/** Rows as aligned columns (two spaces apart; the last column is not padded). */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")).join("\n");
}

/** Default snapshot folder: next to the key folder, per mesh (~/.plexus/registry/<mesh> for the default keys). */
export function defaultRegistryDataDir(common: CommonOptions): string {
  return join(dirname(resolve(common.keys)), "registry", common.mesh);
}

export const registryCommand: CommandDef = {
  name: COMMAND,
  summary: "run a registry node: membership, liveness, reputation, discovery; Ctrl-C stops it",
  usage:
    "plexus registry start [--http HOST:PORT|off] [--registry-key NAME] [--data DIR|off] [--no-sealer] [--heartbeat S] [--suspect-after S] [--offline-after S] [--gone-after S] [--credential-ttl S] [--half-life S] [--nats-user-ttl S] [--trust-anchor DID]... [--trust-registry DID]... [--operator DID]...\n  plexus registry start --sealed (--registry-did DID | --unseal-share FILE...) [--custodian DID]... [other start options]\n  plexus registry unseal --share FILE --as KEYNAME [--url URL]",
  help: `Starts a registry node for the mesh on the NATS server(s) of --nats: it rebuilds its view of the agents from
the mesh's log, answers join, leave, rate, agents, discover and reputation requests on NATS, serves the read-only
HTTP API, runs an audit sealer next to it (as plexus audit seal: with several nodes, one sealer writes and the others
stand by; a stalled, refused or failed sealer makes /readyz answer 503 with the reason, under "components.sealer"),
and runs until Ctrl-C (SIGINT) or SIGTERM, then stops cleanly and exits 0. Several nodes may serve one mesh; they
share the requests.

Prints the registry's DID, the HTTP URL and the NATS subjects it serves; with --json one line:
{"registry","mesh","nats","http","data","subjects":{"service","events","heartbeats"},"sealer"} (http null with --http
off; sealer: the sealer's id, null with --no-sealer).

Options:
  --http HOST:PORT|off    HTTP API address (default ${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}; port 0 picks a free one; off: no HTTP)
  --registry-key NAME     the key in --keys the registry signs with (default "${DEFAULT_REGISTRY_KEY}"; created if missing)
  --data DIR|off          snapshot folder, so a restart replays only the log after the last snapshot
                          (default: registry/<mesh> next to the key folder, ~/.plexus/registry/<mesh>; off: none);
                          the sealer keeps its history anchors in DIR/sealer
  --no-sealer             do not run an audit sealer here (another node, or plexus audit seal, runs one)

Tuning (seconds; every registry node of a mesh should use the same values):
  --heartbeat S           how often agents are asked to beat (default 5)
  --suspect-after S       silence that makes an agent suspect (default 3 beats), --offline-after S (6 beats),
  --gone-after S          and gone (120 beats)
  --credential-ttl S      membership credential lifetime (default 86400; the SDK renews at 80 %)
  --half-life S           half-life of reputation evidence (default 604800, 7 days)
  --trust-anchor DID      make DID a trust anchor (an agent EigenTrust pre-trusts; repeatable; a key name in --keys
                          works too): once caught up with the log the node appends TrustAnchorAdded for each one not
                          anchored yet, so every node of the mesh agrees. Dropping the flag later removes nothing:
                          use plexus trust remove (and drop the flag, or the next start adds it again)
  --operator DID          a key that may suspend and resume agents (repeatable; the registry's own key always may)
  --nats-user-ttl S       lifetime of the NATS user JWTs it issues agents in operator mode (default 3600; the SDK
                          renews at 80 %). In operator mode (the mesh's files in --nats-auth) the node connects as
                          the mesh's service user, issues agents their user JWTs and revokes suspended ones
  --trust-registry DID    another registry key whose events this node accepts (repeatable); nodes of one mesh
                          normally share one registry key, and then need none

Sealed start (the key exists only as Shamir shares, see plexus keys split; it runs no sealer): the node serves only /healthz,
/readyz (503), /v1/status {"sealed":true,"did","threshold","received",…} and the unseal API, answers nothing on
NATS and signs nothing until K shares restore the committed key; then it starts as a normal node (same HTTP
address), the key kept in memory only. A wrong set of shares is refused and the node stays sealed.
  --sealed                start sealed
  --registry-did DID      the key the shares must restore (default: the one the --unseal-share files name)
  --unseal-share FILE     a share file (repeatable); K of them unseal at start
  --custodian DID         a custodian allowed to give a share over HTTP (repeatable; a key name in --keys works)

plexus registry unseal --share FILE --as KEYNAME [--url URL]: gives one share to a sealed node at --url (default
http://${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}), signed by the custodian key KEYNAME over a fresh nonce from the node (so it cannot be
replayed). Prints how many shares the node holds (--json: {"sealed","did","threshold","received","index"}).`,
  options: {
    http: { type: "string" },
    "registry-key": { type: "string" },
    data: { type: "string" },
    heartbeat: { type: "string" },
    "suspect-after": { type: "string" },
    "offline-after": { type: "string" },
    "gone-after": { type: "string" },
    "credential-ttl": { type: "string" },
    "half-life": { type: "string" },
    "nats-user-ttl": { type: "string" },
    "trust-anchor": { type: "string", multiple: true },
    operator: { type: "string", multiple: true },
    "trust-registry": { type: "string", multiple: true },
    sealed: { type: "boolean" },
    "registry-did": { type: "string" },
    "unseal-share": { type: "string", multiple: true },
    custodian: { type: "string", multiple: true },
    "no-sealer": { type: "boolean" },
    url: { type: "string" },
    share: { type: "string" },
    as: { type: "string" },
  },
  async run({ common, values, positionals, out }) {
    const [sub, ...rest] = positionals;
    if (sub === undefined) throw new UsageError("missing a subcommand: start or unseal", COMMAND);
    if (sub === "unseal") return runUnseal(common, values, rest, out);
    if (sub !== "start") throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use start or unseal`, COMMAND);
    positionalArgs(rest, [], COMMAND);
    checkSealedFlags(values, values["sealed"] === true ? "sealed" : "start");
    const http = httpOption(values, COMMAND);
    const data = stringOption(values, "data", COMMAND);
    const dataDir = data === "off" ? undefined : resolve(data ?? defaultRegistryDataDir(common));
    const tuning = await tuningOptions(common, values);
    if (values["sealed"] === true) return startSealed({ common, values, out, http, dataDir, tuning });
    const key = await registryKey(common, values, COMMAND, out.info);
    const sealing = values["no-sealer"] !== true;

    const signals = waitForSignal(out);
    let node: RegistryNode | undefined;
    let sealerNc: NatsConnection | undefined;
    let sealer: SealerNode | undefined;
    try {
      // A sealer that cannot start (NATS refusing the sealers bucket to a service user issued before it existed: run
      // plexus init) does not keep the registry down; it is said at error and /readyz answers 503 with the reason.
      let sealerFailure: { ready: false; state: "failed"; problem: { code: string; reason: string; since: number } } | undefined;
      if (sealing) {
        sealerNc = await connectService(common, "plexus registry (sealer)");
        sealer = await startMeshSealer({ nc: sealerNc, mesh: common.mesh, key, historyDir: dataDir === undefined ? undefined : join(dataDir, "sealer"), out }).catch((err: unknown) => {
          const reason = (err as Error).message;
          out.error(`audit sealer: could not start: ${reason}; not sealing here`);
          sealerFailure = { ready: false, state: "failed", problem: { code: (err as { code?: string }).code ?? "AUDIT_STORE_FAILED", reason, since: Date.now() } };
          return undefined;
        });
      }
      const sealerNode = sealer;
      const failed = sealerFailure;
      const sealerStatus = sealerNode ? () => sealerNode.status() : failed ? () => failed : undefined;
      const withSealer = sealerStatus ? { ...tuning, components: { sealer: sealerStatus } } : tuning;
      node = await startNode({ nats: common.nats, mesh: common.mesh, key, http, dataDir, out, tuning: withSealer });
      const shown = describeNode(node, { nats: common.nats, data: dataDir ?? null, sealer: sealer?.id ?? null });
      out.data(shown.human + (sealer ? `\nsealer    ${sealer.id} (${sealer.status().role === "active" ? "writing" : "standing by"})` : "\nsealer    off"), shown.json);
      out.info(`plexus: registry node up for mesh "${common.mesh}" on ${common.nats}${dataDir ? `, snapshots in ${dataDir}` : ""}. Ctrl-C to stop.`);
      const signal = await signals.signal;
      out.info(`plexus: ${signal}: stopping the registry node${sealer ? " and the sealer" : ""}…`);
      const stopping = node;
      node = undefined;
      await stopping.stop();
      await sealer?.stop();
      sealer = undefined;
      out.info("plexus: registry node stopped");
      return 0;
    } finally {
      await node?.stop().catch(() => undefined);
      await sealer?.stop().catch(() => undefined);
      if (sealerNc && !sealerNc.isClosed()) await sealerNc.close().catch(() => undefined);
      signals.dispose();
    }
  },
};

const TUNING_SECONDS = {
  heartbeat: "heartbeatIntervalMs",
  "suspect-after": "suspectAfterMs",
  "offline-after": "offlineAfterMs",
  "gone-after": "goneAfterMs",
  "credential-ttl": "credentialTtlMs",
  "half-life": "halfLifeMs",
  "nats-user-ttl": "natsUserTtlMs",
} as const;

/** The tuning flags of `registry start` as node options (seconds → ms; anchors resolved through the key folder). */
async function tuningOptions(common: CommonOptions, values: OptionValues): Promise<Partial<RegistryNodeOptions>> {
  const tuning: Partial<RegistryNodeOptions> = {};
  for (const [flag, option] of Object.entries(TUNING_SECONDS) as [keyof typeof TUNING_SECONDS, (typeof TUNING_SECONDS)[keyof typeof TUNING_SECONDS]][]) {
    const seconds = secondsOption(values, flag, COMMAND);
    if (seconds !== undefined) tuning[option] = Math.round(seconds * 1000);
  }
  const anchors = await trustAnchorOption(common, values, COMMAND);
  if (anchors) tuning.trustAnchors = anchors;
  const operators = values["operator"];
  if (Array.isArray(operators)) {
    tuning.operators = await Promise.all(operators.map((r) => resolveAgent(common, String(r), COMMAND, "--operator")));
  }
  const natsAuth = await registryNatsAuth(common);
  if (natsAuth) tuning.natsAuth = natsAuth;
  const registries = values["trust-registry"];
  if (Array.isArray(registries)) {
    tuning.trustedRegistries = await Promise.all(registries.map((r) => resolveAgent(common, String(r), COMMAND, "--trust-registry")));
  }
  return tuning;
}
