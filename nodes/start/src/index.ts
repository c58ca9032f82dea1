/**
 * @plexus/nodes — what runs (layer: nodes, the top). One start function per process, each composing the layers below
 * it: a local mesh (`plexus up`), a registry node with MCP and a sealer next to it (`plexus registry start`), a sealer
 * (`plexus audit seal`), the A2A gateway (`plexus gateway start`), a witness of the audit log
 * (`plexus audit witness`). The CLI parses flags and calls these; compose and tests may too. Nothing imports a node except the CLI.
 */
export { startLocalMesh } from "./local-mesh.js";
export type { LocalMesh, LocalMeshOptions } from "./local-mesh.js";
export { startRegistry, startRegistryProcess, loadRegistryMcp } from "./registry.js";
export type { RegistryOptions, RegistryProcess, RegistryProcessOptions } from "./registry.js";
export { startSealerProcess } from "./sealer.js";
export type { SealerProcess, SealerProcessOptions } from "./sealer.js";
export { startGatewayProcess } from "./gateway.js";
export type { GatewayProcessOptions } from "./gateway.js";
export { provisionMesh, provisionOn } from "./provision.js";
export type { ProvisionOptions, Provisioned } from "./provision.js";
export { portInUsePart } from "./port-in-use.js";
export type { ListeningPart } from "./port-in-use.js";
export type { NodeLog } from "./log.js";
export { cosignatureSubject, startWitnessProcess } from "./witness.js";
export type { WitnessCheck, WitnessOutcome, WitnessProcess, WitnessProcessOptions } from "./witness.js";
