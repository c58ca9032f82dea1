/**
 * Starting the mesh's sealer from the CLI, the one way `plexus audit seal`, `plexus up` and `plexus registry start`
 * all do it: a sealer node (@plexus/audit startSealerNode: writer lease, presence record, stall watch) whose lines go to
 * stderr, every line that means the mesh is not being sealed as it should as "plexus: error: …".
 */
import { mkdir } from "node:fs/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { startSealerNode, type SealerNode } from "@plexus/audit";
import type { KeyPair } from "@plexus/identity";
import type { Output } from "../../output.js";

export interface MeshSealerOptions {
  nc: NatsConnection;
  mesh: string;
  key: KeyPair;
  /** Where the history streams' creation times are kept across restarts (undefined: in memory). */
  historyDir: string | undefined;
  out: Output;
  /** The sealer's id in presence records and the lease (default <host>-<pid>). */
  id?: string;
}

export async function startMeshSealer(o: MeshSealerOptions): Promise<SealerNode> {
  if (o.historyDir !== undefined) await mkdir(o.historyDir, { recursive: true });
  return startSealerNode({
    nc: o.nc,
    mesh: o.mesh,
    key: o.key,
    ...(o.historyDir !== undefined ? { historyDir: o.historyDir } : {}),
    ...(o.id !== undefined ? { id: o.id } : {}),
    log: (level, line) => (level === "error" ? o.out.error(`audit sealer: ${line}`) : o.out.info(`plexus: audit sealer: ${line}`)),
  });
}

/** One line for people about a sealer node just started. */
export function describeSealer(node: SealerNode): string {
  const s = node.status();
  const role = s.role === "active" ? (s.state === "running" ? "writing" : `writing, ${s.state}`) : `standing by${s.writer ? ` (${s.writer} writes)` : ""}`;
  return `audit sealer ${s.id}: ${role}; chain head ${s.head.size}, lag ${s.lag}; checkpoints signed by ${s.signer}`;
}
