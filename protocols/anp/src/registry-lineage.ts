import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { agentToken, type MeshSubjects } from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";
import { verifySignature, type KeyPair } from "@plexus/identity";
import { openSealed, sealTo } from "@plexus/identity/internal";
import { encodeEvent, makeEvent, parseEvent, type RegistryEvent } from "./events.js";
import { heartbeatSecret } from "./heartbeat.js";
import { REGISTRY_ROTATION_NONCE, rotationProofBytes, rotationProofProblem } from "./rotation.js";

/**
 * A registry key's lineage: the RegistryKeyRotated events of a mesh, each signed by the old key and carrying the new
 * key's proof. A node started with a rotated key trusts its predecessors for the log before their rotation; a
 * verifier that trusts an old key follows the rotations forward (audit checkpoints signed by the successor).
 */
export type RotationEvent = RegistryEvent<"RegistryKeyRotated">;

/** Reads every registry rotation in the mesh log whose signature and proof hold, in log order. */
export async function readRegistryRotations(nc: NatsConnection, subjects: MeshSubjects): Promise<RotationEvent[]> {
  const filter = subjects.registryEvent("RegistryKeyRotated", "*");
  const info = await (await jetstreamManager(nc)).streams.info(subjects.stream, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  const events: RotationEvent[] = [];
  if (total === 0) return events;
  // One filter, as a string: the create request names it in its subject, where an agent's permissions pin it.
  const consumer = await jetstream(nc).consumers.get(subjects.stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.All,
    name_prefix: orderedConsumerPrefix(),
  });
  const messages = await consumer.consume();
  try {
    for await (const m of messages) {
      const event = checkedRotation(m.data);
      if (event) events.push(event);
      if (m.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
  return events;
}

/** A RegistryKeyRotated event whose signature and proof hold, or undefined for anything else. */
export function checkedRotation(bytes: Uint8Array): RotationEvent | undefined {
  try {
    const parsed = parseEvent(bytes, undefined);
    const e = parsed.event as RotationEvent;
    if (e.type !== "RegistryKeyRotated" || e.agent !== e.by || !verifySignature(e.by, parsed.signed, parsed.signature))
      return undefined;
    return rotationProofProblem(e.by, e.data.to, e.data.proof, REGISTRY_ROTATION_NONCE) === undefined ? e : undefined;
  } catch {
    return undefined;
  }
}

/** The keys `did` succeeded, newest first (each rotation proven by its successor, so `did` vouches for the chain). */
export function registryPredecessors(did: string, rotations: readonly RotationEvent[]): string[] {
  const byTo = new Map(rotations.map((e) => [e.data.to, e]));
  const chain: string[] = [];
  for (let e = byTo.get(did); e !== undefined && !chain.includes(e.by) && e.by !== did; e = byTo.get(e.by))
    chain.push(e.by);
  return chain;
}

/** `trusted` plus every key a trusted key rotated to, following the log in order. */
export function registrySuccessors(trusted: Iterable<string>, rotations: readonly RotationEvent[]): Set<string> {
  const all = new Set(trusted);
  for (const e of rotations) if (all.has(e.by)) all.add(e.data.to);
  return all;
}

/** The mesh's heartbeat secret for a registry key: carried over by its rotation, else derived from its seed. */
export function registryHeartbeatSecret(key: KeyPair, mesh: string, rotations: readonly RotationEvent[]): Uint8Array {
  const carried = rotations.find((e) => e.data.to === key.did)?.data.heartbeatSecret;
  if (carried !== undefined) return openSealed(key.exportSeed(), carried);
  return heartbeatSecret(key.exportSeed(), mesh);
}

/**
 * The RegistryKeyRotated event for moving a registry from `oldKey` to `newKey`: signed by the old key, with the new
 * key's proof and the mesh's heartbeat secret sealed to the new key (agents' heartbeat keys stay valid).
 */
export function makeRegistryRotation(
  oldKey: KeyPair,
  newKey: KeyPair,
  mesh: string,
  rotations: readonly RotationEvent[],
): { subject: string; data: Uint8Array; event: RotationEvent } {
  const secret = registryHeartbeatSecret(oldKey, mesh, rotations);
  const proof = newKey.signBase64url(rotationProofBytes(oldKey.did, newKey.did, REGISTRY_ROTATION_NONCE));
  const event = makeEvent(oldKey, "RegistryKeyRotated", oldKey.did, {
    to: newKey.did,
    proof,
    heartbeatSecret: sealTo(newKey.did, secret),
  });
  return {
    subject: `plexus.${mesh}.registry.RegistryKeyRotated.${agentToken(oldKey.did)}`,
    data: encodeEvent(event),
    event,
  };
}
