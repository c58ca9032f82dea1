/**
 * InboxReader against a stand-in for agent.listen that behaves like a Subscription: handlers one at a time, in order,
 * and a message counts as acknowledged only when its handler returned.
 */
import { describe, expect, it } from "vitest";
import type { Delivery, Handler, Subscription } from "@plexus/sdk";
import { InboxReader } from "../src/index.js";

function delivery(n: number): Delivery {
  return {
    id: `m${n}`,
    from: "did:key:z6Mkfrom",
    to: "did:key:z6Mkto",
    topic: undefined,
    type: "message",
    conversation: "c",
    replyTo: undefined,
    body: { n },
    ts: n,
    seq: n,
    redelivered: false,
  } as unknown as Delivery;
}

/** Feeds `queue` to the handler one at a time; records acks and failures. */
function fakeInbox(queue: Delivery[]) {
  const acked: string[] = [];
  const failed: string[] = [];
  let handler: Handler | undefined;
  let running: Promise<void> = Promise.resolve();
  const pump = () => {
    running = running.then(async () => {
      while (handler && queue.length > 0) {
        const d = queue.shift() as Delivery;
        try {
          await handler(d);
          acked.push(d.id);
        } catch {
          failed.push(d.id);
        }
      }
    });
  };
  const listen = async (h: Handler) => {
    handler = h;
    pump();
    return { stop: async () => undefined } as unknown as Subscription;
  };
  return {
    acked,
    failed,
    listen,
    push: (d: Delivery) => {
      queue.push(d);
      return pump();
    },
  };
}

describe("InboxReader", () => {
  it("hands messages out in order and acknowledges each only once read", async () => {
    const inbox = fakeInbox([delivery(1), delivery(2), delivery(3)]);
    const reader = new InboxReader(inbox.listen);
    await reader.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(inbox.acked).toEqual([]);
    const first = await reader.read({ max: 2, waitMs: 1000 });
    expect(first.map((m) => m.body)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(inbox.acked).toEqual(["m1", "m2"]);
    const rest = await reader.read({ max: 10, waitMs: 0 });
    expect(rest.map((m) => m.id)).toEqual(["m3"]);
    expect(rest[0]).toMatchObject({ from: "did:key:z6Mkfrom", conversation: "c", replyTo: null, redelivered: false });
  });

  it("waits up to waitMs for a first message, and returns an empty list when none comes", async () => {
    const inbox = fakeInbox([]);
    const reader = new InboxReader(inbox.listen);
    const started = Date.now();
    expect(await reader.read({ max: 5, waitMs: 150 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    setTimeout(() => inbox.push(delivery(7)), 50);
    expect((await reader.read({ max: 5, waitMs: 5000 })).map((m) => m.id)).toEqual(["m7"]);
  });

  it("on close, gives back the message it held (not acknowledged) and refuses to read", async () => {
    const inbox = fakeInbox([delivery(1)]);
    const reader = new InboxReader(inbox.listen);
    await reader.start();
    await new Promise((r) => setTimeout(r, 20));
    await reader.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(inbox.acked).toEqual([]);
    expect(inbox.failed).toEqual(["m1"]);
    await expect(reader.read({ max: 1, waitMs: 0 })).rejects.toMatchObject({ code: "CLOSED" });
  });
});
