/**
 * A sealer node for people: the line `plexus audit seal` prints once started. Starting one is @plexus/nodes's
 * (startSealerProcess, startMeshSealer), the one way `plexus audit seal`, `plexus up` and `plexus registry start` do it.
 */
import type { SealerNode } from "@plexus/audit";

/** One line for people about a sealer node just started. */
export function describeSealer(node: SealerNode): string {
  const s = node.status();
  const role =
    s.role === "active"
      ? s.state === "running"
        ? "writing"
        : `writing, ${s.state}`
      : `standing by${s.writer ? ` (${s.writer} writes)` : ""}`;
  return `audit sealer ${s.id}: ${role}; chain head ${s.head.size}, lag ${s.lag}; checkpoints signed by ${s.signer}`;
}
