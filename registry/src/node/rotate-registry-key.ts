import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { makeRegistryRotation, readRegistryRotations } from "@plexus/anp/internal";
import { ensureMeshStream, publishDurably } from "@plexus/bus";
import { ErrorCode, PlexusError, meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";

export interface RegistryRotation {
  from: string;
  to: string;
  seq: number;
}

/**
 * Rotates a mesh's registry key: appends RegistryKeyRotated, signed by the old key, with the new key's proof and the
 * heartbeat secret sealed to it. From that log position on, events signed by the old key no longer count (nodes still
 * running on it refuse to sign); restart (or unseal) the nodes with the new key. Agents keep their heartbeat keys.
 * Rotating again to the same successor changes nothing and answers `seq` 0.
 */
export async function rotateRegistryKey(
  nc: NatsConnection,
  mesh: string,
  oldKey: KeyPair,
  newKey: KeyPair,
): Promise<RegistryRotation> {
  const subjects = meshSubjects(mesh);
  await ensureMeshStream(nc, mesh);
  const rotations = await readRegistryRotations(nc, subjects);
  // Done already (a run whose answer was lost): the same rotation again is a no-op, so the caller can finish its files.
  if (rotations.some((e) => e.by === oldKey.did && e.data.to === newKey.did))
    return { from: oldKey.did, to: newKey.did, seq: 0 };
  if (rotations.some((e) => e.by === oldKey.did)) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `registry key ${oldKey.did} was already rotated on mesh "${mesh}"`,
    );
  }
  if (rotations.some((e) => e.by === newKey.did || e.data.to === newKey.did)) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `the new key ${newKey.did} already appears in this mesh's registry lineage; use a fresh key`,
    );
  }
  const { subject, data, event } = makeRegistryRotation(oldKey, newKey, mesh, rotations);
  const ack = await publishDurably(nc, jetstream(nc), subject, data, { msgID: event.id });
  return { from: oldKey.did, to: newKey.did, seq: ack.seq };
}
