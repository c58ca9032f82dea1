import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { useTestServer } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditStreamNames, openJetStreamAuditStore } from "../src/store/jetstream-store.js";
import { auditStoreContract, sampleLinks } from "./audit-store.contract.js";
import { freshMesh } from "./helpers.js";

const nats = useTestServer();
let nc: NatsConnection;
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
});

auditStoreContract("JetStream", async () => {
  const mesh = freshMesh();
  await ensureMeshStream(nc, mesh);
  const store = await openJetStreamAuditStore({ nc, mesh });
  const others: NatsConnection[] = [];
  return {
    store,
    async reopen() {
      const other = await connectBus({ servers: nats.url });
      others.push(other);
      return openJetStreamAuditStore({ nc: other, mesh });
    },
    async cleanup() {
      await store.close();
      await Promise.all(others.map((c) => c.close()));
    },
  };
});

describe("JetStream audit streams", () => {
  it("live beside the mesh stream under their own subjects, with deny_delete and deny_purge", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await openJetStreamAuditStore({ nc, mesh });
    const jsm = await jetstreamManager(nc);
    const names = auditStreamNames(mesh);
    for (const [stream, subject] of [
      [names.chainStream, names.chainSubject],
      [names.checkpointStream, names.checkpointSubject],
    ] as const) {
      const { config } = await jsm.streams.info(stream);
      expect(config).toMatchObject({
        subjects: [subject],
        deny_delete: true,
        deny_purge: true,
        storage: "file",
        retention: "limits",
      });
      expect(subject.startsWith(`plexus.${mesh}.`)).toBe(false);
    }
    // Opening again is idempotent.
    await openJetStreamAuditStore({ nc, mesh });
  });

  it("refuse deleting a link and purging the chain or the checkpoints through the JetStream API", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    const store = await openJetStreamAuditStore({ nc, mesh });
    const links = sampleLinks(3);
    for (const l of links) await store.append(l, l.n - 1);
    await store.appendCheckpoint({ size: 3, head: links[2]!.hash, at: 1, signer: "did:key:z6MkA", sig: "c2ln" });
    const jsm = await jetstreamManager(nc);
    const names = auditStreamNames(mesh);
    await expect(jsm.streams.deleteMessage(names.chainStream, 2)).rejects.toThrow(/delete/i);
    await expect(jsm.streams.deleteMessage(names.chainStream, 2, false)).rejects.toThrow(/delete/i);
    await expect(jsm.streams.purge(names.chainStream)).rejects.toThrow(/purge/i);
    await expect(jsm.streams.purge(names.chainStream, { keep: 1 })).rejects.toThrow(/purge/i);
    await expect(jsm.streams.purge(names.checkpointStream)).rejects.toThrow(/purge/i);
    await expect(jsm.streams.deleteMessage(names.checkpointStream, 1)).rejects.toThrow(/delete/i);
    // ...and the settings cannot be turned off afterwards.
    await expect(jsm.streams.update(names.chainStream, { deny_delete: false })).rejects.toThrow(/deny/i);
    await expect(jsm.streams.update(names.chainStream, { deny_purge: false })).rejects.toThrow(/deny/i);
    expect(await store.head()).toEqual({ size: 3, hash: links[2]!.hash });
  });
});
