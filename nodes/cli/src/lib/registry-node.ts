/** Starting a registry node in this process (registry start, up) and describing what it serves. */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { isPlexusError, meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { RegistryNode, RegistryNodeOptions } from "@plexus/registry";
import type { CommonOptions } from "../common-options.js";
import { CliError } from "../errors.js";
import type { Output } from "../output.js";
import type { HttpListen } from "./http-option.js";

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

/** Default snapshot folder: next to the key folder, per mesh (~/.plexus/registry/<mesh> for the default keys). */
export function defaultRegistryDataDir(common: CommonOptions): string {
  return join(dirname(resolve(common.keys)), "registry", common.mesh);
}
