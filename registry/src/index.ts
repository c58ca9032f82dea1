/**
 * @plexus/registry — the registry node (layer: registry; imports protocols and packages, never a node): projections of
 * the mesh log, liveness, reputation, discovery, the NATS service and the HTTP API. Its /mcp handler is injected
 * (RegistryNodeOptions.mcp) by the process that composes it.
 */
export { RegistryNode, startRegistryNode, DEFAULT_REGISTRY_HTTP } from "./node/registry-node.js";
export type { RegistryNodeOptions } from "./node/options.js";
export { SealedRegistryNode, startSealedRegistryNode } from "./node/sealed-node.js";
export type { SealedNodeOptions } from "./node/sealed-node.js";
export { rotateRegistryKey } from "./node/rotate-registry-key.js";
export { RegistryQueries } from "./service/queries.js";
export type { RegistryQueryApi, RegistryStatus } from "./service/queries-api.js";
export { createRegistryApp } from "./http/index.js";
export type { RegistryMcpContext, RegistryMcpFactory } from "./http/index.js";
export { RegistryState, Projector, TrustAnchorBook, MAX_KEY_ROTATIONS } from "./projection/index.js";
export { EvidenceLedger } from "./reputation/index.js";
export { CardIndex, rankDiscovery } from "./discovery/index.js";
export { LivenessMonitor } from "./liveness/monitor.js";
