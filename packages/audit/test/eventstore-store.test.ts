/**
 * The AuditStore contract against EventStoreDB/KurrentDB. No server can run on the project's machines, so this runs
 * only where EVENTSTORE_URL names one, e.g. with compose/docker-compose.yml:
 *   EVENTSTORE_URL='esdb://localhost:2113?tls=false' npx vitest run packages/audit/test/eventstore-store.test.ts
 */
import { EventStoreDBClient } from "@eventstore/db-client";
import { describe, expect, it } from "vitest";
import { isTileMissing } from "../src/merkle/tile-store.js";
import {
  EventStoreAuditStore,
  eventStoreStreamNames,
  openEventStoreAuditStore,
} from "../src/store/eventstore-store.js";
import { eventStoreTileStreams } from "../src/store/eventstore-tiles.js";
import { auditStoreContract } from "./audit-store.contract.js";

const url = process.env.EVENTSTORE_URL;

describe.skipIf(!url)(
  "EventStoreDB contract (skipped: set EVENTSTORE_URL to an EventStoreDB/KurrentDB server; none can run on these machines)",
  () => {
    auditStoreContract("EventStoreDB", async () => {
      // Stream names are per mesh: a fresh mesh id per test is a fresh, empty chain on a shared server.
      const mesh = `es${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const store = await openEventStoreAuditStore({ url: url!, mesh });
      return {
        store,
        reopen: () => openEventStoreAuditStore({ url: url!, mesh }),
        cleanup: () => store.close(),
      };
    });
  },
);

describe("EventStoreDB backend without a server", () => {
  /** A URL no server answers at (a port just freed). */
  async function deadUrl(): Promise<string> {
    const { createServer } = await import("node:net");
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    return `esdb://127.0.0.1:${port}?tls=false&defaultDeadline=2000`;
  }

  it("fails to open with AUDIT_STORE_FAILED, naming the cause", async () => {
    const err = await openEventStoreAuditStore({ url: await deadUrl(), mesh: "m" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "PlexusError", code: "AUDIT_STORE_FAILED" });
    expect((err as Error).message).toMatch(/UNAVAILABLE|ECONNREFUSED/);
  });

  it("names the tile streams per mesh, apart from the chain's", () => {
    const tiles = eventStoreTileStreams("m-1");
    expect([tiles.full(0, 3), tiles.full(1, 0), tiles.partial(0), tiles.partial(2)]).toEqual([
      "plexus-audit-m-1-tile-0-3",
      "plexus-audit-m-1-tile-1-0",
      "plexus-audit-m-1-tile-0-p",
      "plexus-audit-m-1-tile-2-p",
    ]);
    expect(Object.values(eventStoreStreamNames("m-1"))).not.toContain(tiles.partial(0));
    expect(() => eventStoreTileStreams("M.x")).toThrow(/invalid mesh id/);
  });

  it("an unreachable server makes tile reads and writes AUDIT_STORE_FAILED, not a missing tile; a closed store refuses", async () => {
    const store = new EventStoreAuditStore(EventStoreDBClient.connectionString(await deadUrl()), "m", true);
    try {
      const read = await store.tiles.readTile(0, 0, 1).catch((e: unknown) => e);
      expect(read).toMatchObject({ name: "PlexusError", code: "AUDIT_STORE_FAILED" });
      expect(isTileMissing(read)).toBe(false);
      expect((read as Error).message).toMatch(/UNAVAILABLE|ECONNREFUSED/);
      const write = await store.tiles
        .writeTiles({ full: [], partial: [{ level: 0, index: 0, hashes: [new Uint8Array(32)] }] })
        .catch((e: unknown) => e);
      expect(write).toMatchObject({ name: "PlexusError", code: "AUDIT_STORE_FAILED" });
    } finally {
      await store.close();
    }
    await expect(store.tiles.readTile(0, 0, 1)).rejects.toMatchObject({ code: "CLOSED" });
    await expect(store.tiles.writeTiles({ full: [], partial: [] })).rejects.toMatchObject({ code: "CLOSED" });
  });
});
