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
export async function writeStream(
  nc: NatsConnection,
  config: Partial<StreamConfig> & { name: string },
  slots: Slot[],
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const gaps = slots.some((s) => s === null);
  // A stream recreated right after its deletion has been seen to come back with the old messages (the server's
  // removal of the files racing the new stream): recreate until it starts empty.
  for (let attempt = 0; ; attempt++) {
    await deleteStream(nc, config.name);
    const info = await jsm.streams.add({ ...config, ...(gaps ? { deny_delete: false } : {}) });
    if (info.state.last_seq === 0 && (await jsm.streams.info(config.name)).state.last_seq === 0) break;
    if (attempt === 10) throw new Error(`${config.name} keeps coming back with old messages`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const filler = slots.find((s) => s !== null);
  if (!filler && gaps) throw new Error("a stream of gaps only has no subject to publish on");
  const js = jetstream(nc);
  const width = 64;
  for (let i = 0; i < slots.length; i += width) {
    const batch = slots.slice(i, i + width);
    await Promise.all(batch.map((s) => js.publish((s ?? filler)!.subject, (s ?? filler)!.data)));
  }
  const { state } = await jsm.streams.info(config.name);
  if (state.last_seq !== slots.length)
    throw new Error(`${config.name} was written with ${state.last_seq} messages, not ${slots.length}`);
  for (const [i, s] of slots.entries()) if (s === null) await jsm.streams.deleteMessage(config.name, i + 1);
}

/** Deletes a stream and waits until the server no longer knows it (a delete has been seen to leave it in place). */
async function deleteStream(nc: NatsConnection, name: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (let attempt = 0; attempt < 20; attempt++) {
    const gone = await jsm.streams.delete(name).then(
      (ok) => !ok,
      (err: { name?: string }) => {
        if (err?.name === "StreamNotFoundError") return true;
        throw err;
      },
    );
    const exists = await jsm.streams.info(name).then(
      () => true,
      (err: { name?: string }) => {
        if (err?.name === "StreamNotFoundError") return false;
        throw err;
      },
    );
    if (!exists) return;
    if (gone) continue;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${name} could not be deleted`);
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
  await writeStream(
    nc,
    chain,
    content.links.map((l) => (l ? { subject: names.chainSubject, data: encodeLink(l) } : null)),
  );
  await writeStream(
    nc,
    checkpoints,
    content.checkpoints.map((cp) => ({ subject: names.checkpointSubject, data: encodeCheckpoint(cp) })),
  );
}

/** The mesh stream's name, for tests that delete and recreate only the log. */
export function meshStream(mesh: string): string {
  return meshSubjects(mesh).stream;
}
