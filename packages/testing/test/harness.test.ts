import { existsSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { findNatsServer } from "@plexus/bus";
import { compareVersions } from "@plexus/bus/internal";
import { startTestServer, useTestServer } from "../src/index.js";
import type { TestServer } from "../src/index.js";

const open: Array<{ close(): Promise<void> } | TestServer> = [];
afterEach(async () => {
  for (const r of open.splice(0).reverse()) await ("cleanup" in r ? r.cleanup() : r.close()).catch(() => undefined);
});

async function track<T extends { close(): Promise<void> } | TestServer>(p: Promise<T>): Promise<T> {
  const r = await p;
  open.push(r);
  return r;
}

describe("findNatsServer", () => {
  it("finds nats-server 2.10 or newer here", async () => {
    const found = await findNatsServer();
    expect(existsSync(found.path)).toBe(true);
    expect(compareVersions(found.version, "2.10.0")).toBeGreaterThanOrEqual(0);
  });
});

describe("startTestServer", () => {
  it("uses a random port, different for two servers started in parallel", async () => {
    const [a, b] = await Promise.all([track(startTestServer()), track(startTestServer())]);
    expect(a.port).not.toBe(4222);
    expect(b.port).not.toBe(4222);
    expect(a.port).not.toBe(b.port);
    expect(a.url).toBe(`nats://127.0.0.1:${a.port}`);
    expect(a.running).toBe(true);
  });

  it("serves JetStream: create a stream and publish with ack", async () => {
    const s = await track(startTestServer());
    const nc = await track(connect({ servers: s.url }));
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "T", subjects: ["t.>"] });
    const ack = await jetstream(nc).publish("t.a", "hello");
    expect(ack.stream).toBe("T");
    expect(ack.seq).toBe(1);
    expect((await jsm.streams.info("T")).state.messages).toBe(1);
  });

  it("keeps acked messages across kill() + restart() on the same store and port; clients reconnect", async () => {
    const s = await track(startTestServer());
    const { url, port } = s;
    const nc: NatsConnection = await track(connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 }));
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "D", subjects: ["d.>"] });
    await jetstream(nc).publish("d.x", "before-crash");

    const reconnected = (async () => {
      for await (const st of nc.status()) if (st.type === "reconnect") return true;
      return false;
    })();
    const firstPid = s.pid;
    await s.kill();
    expect(s.running).toBe(false);
    await s.restart();
    expect(s.running).toBe(true);
    expect(s.pid).not.toBe(firstPid);
    expect(s.port).toBe(port);
    expect(s.url).toBe(url);

    expect(await reconnected).toBe(true);
    expect(nc.isClosed()).toBe(false);
    const msg = await jsm.streams.getMessage("D", { seq: 1 });
    expect(msg?.subject).toBe("d.x");
    expect(new TextDecoder().decode(msg?.data)).toBe("before-crash");
    const ack = await jetstream(nc).publish("d.y", "after-restart");
    expect(ack.seq).toBe(2);
  });

  it("restarts after a graceful stop() too", async () => {
    const s = await track(startTestServer());
    const exits: boolean[] = [];
    s.onExit((e) => exits.push(e.expected));
    await s.stop();
    expect(s.running).toBe(false);
    await s.restart();
    const nc = await track(connect({ servers: s.url }));
    await (await jetstreamManager(nc)).streams.add({ name: "S", subjects: ["s"] });
    expect(exits).toEqual([true]);
  });

  it("cleanup() stops the server and removes the temp dir", async () => {
    const s = await startTestServer();
    expect(s.tempDir).toMatch(/plexus-nst-/);
    expect(existsSync(s.storeDir)).toBe(true);
    await s.cleanup();
    expect(s.running).toBe(false);
    expect(existsSync(s.tempDir)).toBe(false);
    await s.cleanup(); // idempotent
  });

  it("supports await using", async () => {
    let dir = "";
    {
      await using s = await startTestServer({ maxPayload: 2 * 1024 * 1024 });
      dir = s.tempDir;
      const nc = await connect({ servers: s.url });
      expect(nc.info?.max_payload).toBe(2 * 1024 * 1024);
      await nc.close();
    }
    expect(existsSync(dir)).toBe(false);
  });
});

describe("useTestServer", () => {
  let tempDir = "";
  afterAll(() => {
    // Runs after the inner describe's teardown.
    expect(tempDir).not.toBe("");
    expect(existsSync(tempDir)).toBe(false);
  });
  describe("inner", () => {
    const t = useTestServer();
    it("provides a running server inside tests", async () => {
      tempDir = t.server.tempDir;
      expect(t.server.running).toBe(true);
      const nc = await track(connect({ servers: t.url }));
      await nc.flush();
    });
  });
});
