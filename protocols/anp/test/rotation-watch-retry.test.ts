/**
 * The RotationWatch never rejects: a failure is reported and readers go on without it. One transient failure (a
 * timeout on the stream info while the server is busy or reconnecting) must not switch the cut-off off for the reader's
 * whole life: the next ready() after a short pause starts it again (found by the adversarial review of issue 16).
 */
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { agentToken, meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { RotationWatch } from "../src/index.js";
import {
  encodeEvent,
  makeEvent,
  makeRotation,
  signRequest,
  type Rotation,
  type SignedRequest,
} from "../src/internal.js";
import { ROTATION_WATCH_RETRY_MS } from "../src/rotation-watch.js";

const nats = useTestServer();

describe("RotationWatch after a transient failure", () => {
  it("a watch whose first start failed once still learns the log's rotations on a later ready()", async () => {
    const mesh = `wf${process.pid}`;
    const s = meshSubjects(mesh);
    const nc = await connect({ servers: nats.url });
    try {
      await ensureMeshStream(nc, mesh);
      const js = jetstream(nc);
      const oldKey = generateKeyPair();
      const newKey = generateKeyPair();
      const request = signRequest(
        oldKey,
        "rotate",
        mesh,
        "c",
        makeRotation(oldKey, newKey, "c"),
      ) as SignedRequest<Rotation>;
      const registry = generateKeyPair();
      const ack = await js.publish(
        s.registryEvent("KeyRotated", agentToken(oldKey.did)),
        encodeEvent(makeEvent(registry, "KeyRotated", oldKey.did, { to: newKey.did, request })),
      );

      const real = await jetstreamManager(nc);
      let failures = 1;
      // The stream info times out once (a busy server, a reconnect), then works again.
      const flaky = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== "streams") return Reflect.get(target, prop, receiver);
          const streams = target.streams;
          return new Proxy(streams, {
            get(t, p, r) {
              if (p === "info" && failures > 0) {
                failures -= 1;
                return () => Promise.reject(new Error("TIMEOUT (simulated)"));
              }
              const v = Reflect.get(t, p, r);
              return typeof v === "function" ? v.bind(t) : v;
            },
          });
        },
      }) as JetStreamManager;
      const errors: unknown[] = [];
      const watch = new RotationWatch({
        nc,
        js,
        jsm: flaky,
        subjects: s,
        registries: async () => [registry.did],
        onError: (e) => void errors.push(e),
      });
      try {
        await watch.ready();
        expect(errors).toHaveLength(1);
        // Later readers' admits call ready() again: after the pause it starts again and learns the log's rotation.
        await new Promise((r) => setTimeout(r, ROTATION_WATCH_RETRY_MS));
        await watch.ready();
        expect(watch.rotatedBefore(oldKey.did, ack.seq + 1)).toMatchObject({ to: newKey.did });
      } finally {
        await watch.stop();
      }
    } finally {
      await nc.close();
    }
  });
});
