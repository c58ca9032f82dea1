/**
 * What a privileged client (the admin user, or anyone who may delete and create streams) can do to the stores: write
 * a mesh log, a chain or a checkpoint stream with any content at any position. The tests of the verifier use it to
 * plant each kind of fault in real JetStream streams, the way issue 13's attacker did (stream deleted, recreated with
 * the same settings, refilled), including positions left empty (a message deleted from a stream made deletable).
 */
import { jetstream, jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshStreamConfig } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { encodeCheckpoint, encodeLink } from "../src/store/codec.js";
import { auditStreamConfigs, auditStreamNames } from "../src/store/jetstream-store.js";
import type { ChainLink, Checkpoint } from "../src/types.js";

/** One message of a stream as the attacker writes it; `null` leaves its sequence empty (published, then deleted). */
export type Slot = { subject: string; data: Uint8Array } | null;

/**
 * Deletes `stream` when it exists and creates it again from `config` with `slots` at sequences 1, 2, …. A stream
 * with empty slots is created deletable (that is how an attacker gets gaps); otherwise with `config` as given.
 */
export async function writeStream(nc: NatsConnection, config: Partial<StreamConfig> & { name: string }, slots: Slot[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(config.name).catch(() => undefined);
  const gaps = slots.some((s) => s === null);
  await jsm.streams.add({ ...config, ...(gaps ? { deny_delete: false } : {}) });
  const filler = slots.find((s) => s !== null);
  if (!filler && gaps) throw new Error("a stream of gaps only has no subject to publish on");
  const js = jetstream(nc);
  const width = 64;
  for (let i = 0; i < slots.length; i += width) {
    const batch = slots.slice(i, i + width);
    await Promise.all(batch.map((s, j) => js.publish((s ?? filler)!.subject, (s ?? filler)!.data, { expect: { lastSequence: i + j } })));
  }
  for (const [i, s] of slots.entries()) if (s === null) await jsm.streams.deleteMessage(config.name, i + 1);
}

/** Writes a mesh's three streams: the log (events by position), the chain (links), the checkpoints. */
export async function writeMesh(
  nc: NatsConnection,
  mesh: string,
  content: { events: Slot[]; links: (ChainLink | null)[]; checkpoints: Checkpoint[] },
): Promise<void> {
  const names = auditStreamNames(mesh);
  const [chain, checkpoints] = auditStreamConfigs(mesh);
  await writeStream(nc, meshStreamConfig(mesh), content.events);
  await writeStream(nc, chain, content.links.map((l) => (l ? { subject: names.chainSubject, data: encodeLink(l) } : null)));
  await writeStream(nc, checkpoints, content.checkpoints.map((cp) => ({ subject: names.checkpointSubject, data: encodeCheckpoint(cp) })));
}

/** The mesh stream's name, for tests that delete and recreate only the log. */
export function meshStream(mesh: string): string {
  return meshSubjects(mesh).stream;
}
