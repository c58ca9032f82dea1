import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { useTestServer } from "@plexus/testing";
import { readStreamRange } from "../src/store/stream-range.js";

const nats = useTestServer();

describe("readStreamRange", () => {
  it("ends when the stream's last messages were deleted (a tampered log), instead of waiting for them", {
    timeout: 20_000,
  }, async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      // A stream that allows deletion: what a privileged attacker leaves behind (the mesh's own streams deny it).
      await jsm.streams.add({ name: "RANGE_TAMPERED", subjects: ["range.tampered"] });
      const js = jetstream(nc);
      for (let i = 1; i <= 5; i++) await js.publish("range.tampered", new TextEncoder().encode(`m${i}`));
      await jsm.streams.deleteMessage("RANGE_TAMPERED", 5);
      await jsm.streams.deleteMessage("RANGE_TAMPERED", 4);
      const seen: number[] = [];
      for await (const m of readStreamRange(js, "RANGE_TAMPERED", 1, 5)) seen.push(m.seq);
      expect(seen).toEqual([1, 2, 3]);
      // A hole in the middle is read past; the range still ends at `to`.
      await jsm.streams.deleteMessage("RANGE_TAMPERED", 2);
      const again: number[] = [];
      for await (const m of readStreamRange(js, "RANGE_TAMPERED", 1, 3)) again.push(m.seq);
      expect(again).toEqual([1, 3]);
    } finally {
      await nc.close();
    }
  });
});
