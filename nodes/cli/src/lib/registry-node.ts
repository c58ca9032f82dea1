/** Describing what a registry node serves, and where its snapshots go by default. */
import { dirname, join, resolve } from "node:path";
import { meshSubjects } from "@plexus/core";
import type { RegistryNode } from "@plexus/registry";
import type { CommonOptions } from "../common-options.js";

/** What a node serves, for people (stdout lines) and for scripts (one JSON object). */
export function describeNode(
  node: RegistryNode,
  extra: Record<string, unknown> = {},
): { human: string; json: Record<string, unknown> } {
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
