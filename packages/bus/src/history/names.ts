/**
 * The history streams of a mesh: the ones whose every message must be kept for good. The mesh log (the events) and the
 * audit chain's two streams (links and signed checkpoints). Their names live here, below @plexus/audit, because the
 * service user's permissions (auth/service-permissions.ts) and the guard every node runs (history/guard.ts) need them.
 */
import { assertMeshId, meshSubjects } from "@plexus/core";

export interface HistoryStreamNames {
  /** The mesh log (PLEXUS_<MESH>). */
  mesh: string;
  /** The audit hash chain (PLEXUS_<MESH>_AUDIT). */
  auditChain: string;
  /** The signed audit checkpoints (PLEXUS_<MESH>_CHECKPOINTS). */
  auditCheckpoints: string;
}

export function historyStreamNames(mesh: string): HistoryStreamNames {
  const base = meshSubjects(assertMeshId(mesh)).stream;
  return { mesh: base, auditChain: `${base}_AUDIT`, auditCheckpoints: `${base}_CHECKPOINTS` };
}

/** The three names as a list (mesh log first). */
export function historyStreams(mesh: string): string[] {
  const n = historyStreamNames(mesh);
  return [n.mesh, n.auditChain, n.auditCheckpoints];
}
