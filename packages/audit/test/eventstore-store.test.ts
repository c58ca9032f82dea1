/**
 * The AuditStore contract against EventStoreDB/KurrentDB. No server can run on the project's machines, so this runs
 * only where EVENTSTORE_URL names one, e.g. with compose/docker-compose.yml:
 *   EVENTSTORE_URL='esdb://localhost:2113?tls=false' npx vitest run packages/audit/test/eventstore-store.test.ts
 */
import { describe, expect, it } from "vitest";
import { openEventStoreAuditStore } from "../src/store/eventstore-store.js";
import { auditStoreContract } from "./audit-store.contract.js";

const url = process.env.EVENTSTORE_URL;

describe.skipIf(!url)("EventStoreDB contract (skipped: set EVENTSTORE_URL to an EventStoreDB/KurrentDB server; none can run on these machines)", () => {
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
});

describe("EventStoreDB backend without a server", () => {
  it("fails to open with AUDIT_STORE_FAILED, naming the cause", async () => {
    const { createServer } = await import("node:net");
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const err = await openEventStoreAuditStore({ url: `esdb://127.0.0.1:${port}?tls=false&defaultDeadline=2000`, mesh: "m" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "PlexusError", code: "AUDIT_STORE_FAILED" });
    expect((err as Error).message).toMatch(/UNAVAILABLE|ECONNREFUSED/);
  });
});
