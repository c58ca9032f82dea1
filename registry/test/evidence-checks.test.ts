import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  agentToken,
  canonicalJson,
  meshSubjects,
  newId,
  RejectionReason,
  type Envelope,
  type UnsignedEnvelope,
} from "@plexus/core";
import { generateKeyPair, signEnvelope, type KeyPair } from "@plexus/identity";
import { junkRecords } from "@plexus/testing/internal";
import {
  DEFAULT_PROJECTION_OPTIONS,
  loadSnapshot,
  MAX_EDGES,
  MAX_WAITING_PER_CHANNEL,
  Projector,
  RegistryState,
  saveSnapshot,
} from "../src/projection/index.js";
import { computeReputation } from "../src/reputation/index.js";
import { card } from "./fixtures.js";

/**
 * The evidence rules of the projection (AcpObserver), log message by log message: every piece of evidence is checked
 * by the registry itself, and what fails a check is counted and changes nothing. The end-to-end attacks on a live mesh
 * are in reputation-attacks.test.ts.
 */
const MESH = "evidence";
const s = meshSubjects(MESH);
const T0 = Date.now();

class Log {
  readonly state: RegistryState;
  readonly projector: Projector;
  seq = 0;
  time = T0;

  constructor(pinnedPublishers: boolean) {
    this.state = new RegistryState({ ...DEFAULT_PROJECTION_OPTIONS, pinnedPublishers });
    this.projector = new Projector(this.state, MESH, []);
  }

  /** Admits agents directly (the join path has its own tests). */
  members(...keys: KeyPair[]): void {
    for (const k of keys) {
      const at = this.time;
      this.state.agents.set(k.did, {
        did: k.did,
        card: card(k.did.slice(-6)),
        joinedAt: at,
        firstJoinedAt: at,
        firstJoinSeq: 0,
        updatedAt: at,
        leftAt: undefined,
        present: true,
        liveness: "alive",
        livenessSince: at,
        joinSeq: 0,
        credential: { id: newId(), issuedAt: at, expiresAt: at + 3_600_000 },
      });
    }
  }

  append(subject: string, data: Uint8Array): number {
    this.time += 10;
    this.projector.apply({ subject, data, seq: ++this.seq, time: this.time });
    return this.seq;
  }

  /** A message `from` signs (or `signer` signs, for a forgery) published on the subject of `publisher` → `to`. */
  send(
    kind: "inbox" | "reply" | "receipt",
    from: KeyPair,
    to: KeyPair,
    fields: Partial<UnsignedEnvelope> = {},
    o: { signer?: KeyPair; publisher?: KeyPair } = {},
  ): { seq: number; envelope: Envelope } {
    const unsigned: UnsignedEnvelope = {
      v: 1,
      id: newId(),
      from: from.did,
      to: to.did,
      type: kind === "receipt" ? "acp.receipt" : kind === "reply" ? "acp.reply" : "acp.message",
      body: { n: this.seq },
      ts: this.time + 10,
      seq: 1,
      ...fields,
    };
    const { envelope } = signEnvelope(unsigned, o.signer ?? from);
    const subject = `plexus.${MESH}.acp.${kind}.${agentToken(to.did)}.${agentToken((o.publisher ?? from).did)}`;
    return { seq: this.append(subject, new TextEncoder().encode(canonicalJson(envelope))), envelope };
  }

  record(kind: "rejected" | "dead", by: KeyPair, record: unknown): void {
    this.append(
      kind === "rejected" ? s.rejected(agentToken(by.did)) : s.dead(agentToken(by.did)),
      new TextEncoder().encode(JSON.stringify(record)),
    );
  }

  ledger(): string {
    return JSON.stringify(this.state.ledger.toJSON());
  }

  count(prefix: string): number {
    return Object.entries(this.state.counters)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((n, [, v]) => n + v, 0);
  }
}

const [alice, bob, carol] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];

function rejection(reason: string, streamSeq: number, from: string): Record<string, unknown> {
  return {
    reason,
    detail: "x",
    subject: "plexus.evidence.acp.inbox.x.y",
    streamSeq,
    stream: s.stream,
    size: 10,
    consumer: "c",
    at: T0,
    raw: "{}",
    from,
    id: newId(),
  };
}

describe("evidence the registry checks itself", () => {
  it("never lets a rejection record change a score, whoever publishes it and whatever it names; each is counted", () => {
    for (const pinned of [true, false]) {
      const log = new Log(pinned);
      log.members(alice, bob, carol);
      // Real traffic to name: bob → alice (passes), and a forgery carol signed as bob (fails).
      const real = log.send("inbox", bob, alice, { conversation: "c1" });
      const forged = log.send("inbox", bob, alice, { conversation: "c2" }, { signer: carol });
      const before = log.ledger();
      const honesty = log.state.ledger.toJSON();
      fc.assert(
        fc.property(
          fc.oneof(
            fc
              .record({
                reason: fc.constantFrom(...Object.values(RejectionReason)),
                seq: fc.constantFrom(real.seq, forged.seq, 0, 10_000, -1, 2 ** 53),
                from: fc.constantFrom(alice.did, bob.did, carol.did, "junk"),
              })
              .map((r) => rejection(r.reason, r.seq, r.from)),
            junkRecords().map((bytes) => new TextDecoder().decode(bytes)),
          ),
          fc.constantFrom(alice, bob, carol),
          (record, by) => {
            const counted = log.count("evidence.");
            if (typeof record === "string")
              log.append(s.rejected(agentToken(by.did)), new TextEncoder().encode(record));
            else log.record("rejected", by, record);
            expect(log.ledger()).toBe(before);
            expect(log.count("evidence.")).toBe(counted + 1);
          },
        ),
        { numRuns: 300 },
      );
      expect(log.state.ledger.toJSON()).toEqual(honesty);
    }
  });

  it("confirms a record about a message that really failed, refuses one about a message that passed or was not the reporter's", () => {
    const log = new Log(true);
    log.members(alice, bob, carol);
    const passed = log.send("inbox", bob, alice, { conversation: "c1" });
    const forged = log.send("inbox", bob, alice, { conversation: "c2" }, { signer: carol });
    log.record("rejected", alice, rejection(RejectionReason.BadSignature, forged.seq, bob.did));
    log.record("rejected", alice, rejection(RejectionReason.BadSignature, passed.seq, bob.did));
    log.record("rejected", carol, rejection(RejectionReason.BadSignature, forged.seq, bob.did));
    log.record("rejected", alice, {
      ...rejection(RejectionReason.BadSignature, forged.seq, bob.did),
      stream: "TOPICS_OTHER",
    });
    expect(log.state.counters).toMatchObject({
      "evidence.rejections.confirmed": 1,
      "evidence.refused.rejection.message_passed": 1,
      "evidence.refused.rejection.unknown_message": 2,
    });
  });

  it("attributes a message that fails its checks to its publisher only where the server pins the publisher", () => {
    for (const pinned of [true, false]) {
      const log = new Log(pinned);
      log.members(alice, bob, carol);
      // carol publishes on her own subject a message claiming to be from bob (subject mismatch), then one in her own name
      // that her key did not sign (bad signature).
      log.send("inbox", bob, alice, {}, { signer: carol, publisher: carol });
      const bad = log.send("inbox", carol, alice, {}, { signer: bob });
      expect(log.state.recent.get(bad.seq)?.refused).toBe(RejectionReason.BadSignature);
      const honesty = log.state.ledger.toJSON().subjects.find(([d]) => d === carol.did)?.[1] ?? [];
      if (pinned) {
        // Two registry observations against carol's honesty (the registry saw them itself: no counterpart), none against bob.
        expect(honesty).toHaveLength(1);
        expect(honesty[0]?.[0]).toBe("");
        expect([...log.state.ledger.subjects()]).toEqual([carol.did]);
      } else {
        expect(honesty).toHaveLength(0);
        expect(log.state.counters["evidence.unattributed"]).toBe(2);
      }
    }
  });

  it("counts a replayed copy against its publisher (pinned) and never as a second piece of positive evidence", () => {
    const log = new Log(true);
    log.members(alice, bob);
    const first = log.send("inbox", bob, alice, { conversation: "c1", ts: T0 + 5 });
    const data = new TextEncoder().encode(canonicalJson(first.envelope));
    const copy = log.append(`plexus.${MESH}.acp.inbox.${agentToken(alice.did)}.${agentToken(bob.did)}`, data);
    expect(log.state.recent.get(first.seq)?.refused).toBeUndefined();
    expect(log.state.recent.get(copy)?.refused).toBe(RejectionReason.Replay);
    expect(log.state.pending.size).toBe(1);
  });

  it("counts a receipt only for messages the registry read from its addressee, once, and bounded however wide its ranges", () => {
    for (const pinned of [true, false]) {
      const log = new Log(pinned);
      log.members(alice, bob);
      for (let n = 1; n <= 3; n++) log.send("inbox", bob, alice, { seq: n });
      const receipt = (processed: [number, number][]) =>
        log.send("receipt", alice, bob, { body: { delivered: [], processed, failed: [] } });
      const started = performance.now();
      receipt([[1, 2 ** 53 - 1]]);
      expect(performance.now() - started).toBeLessThan(1_000);
      const rel = () => log.state.ledger.toJSON().subjects.find(([d]) => d === alice.did)?.[1][0]?.[3][0];
      expect(rel()).toBe(1); // one reliability sample about alice (3 of 3 processed), at bob's trust
      receipt([[1, 3]]);
      expect(log.state.counters["evidence.refused.receipt.names_no_waiting_message"]).toBe(1);
      expect(rel()).toBe(1);
      // Unsolicited: bob's messages were not asked for, so the receipt says nothing about bob's honesty.
      expect([...log.state.ledger.subjects()]).toEqual([alice.did]);
      expect(log.state.counters["evidence.unsolicited.receipt"]).toBe(1);
      if (!pinned) {
        // On an open server the signature is the proof: a receipt carol signs in alice's name counts for nothing.
        // (In operator mode carol cannot publish on alice's subject at all: the server refuses it.)
        log.send("inbox", bob, alice, { seq: 4 });
        log.send(
          "receipt",
          alice,
          bob,
          { body: { delivered: [], processed: [[4, 4]], failed: [] } },
          { signer: carol },
        );
        expect(log.state.counters["evidence.refused.receipt.bad_signature"]).toBe(1);
        expect(rel()).toBe(1);
      }
    }
  });

  it("lets a receipt speak for its sender's honesty only for the first answer in a conversation its signer opened", () => {
    const log = new Log(true);
    log.members(alice, bob);
    log.send("inbox", alice, bob, { conversation: "asked", seq: 1 });
    for (let n = 1; n <= 5; n++) log.send("inbox", bob, alice, { conversation: "asked", seq: n });
    log.send("receipt", alice, bob, { body: { delivered: [], processed: [[1, 5]], failed: [] } });
    const honesty = log.state.ledger
      .toJSON()
      .subjects.find(([d]) => d === bob.did)?.[1]
      .find(([o]) => o === alice.did);
    expect(honesty?.[3]).toEqual([0, 0, 0, 1, 0]); // one honesty sample, not five
  });

  it("takes a dead letter as its publisher's own failure only where the publisher is proven, for a message it was sent, once", () => {
    for (const pinned of [true, false]) {
      const log = new Log(pinned);
      log.members(alice, bob, carol);
      const m = log.send("inbox", bob, alice, { seq: 1 });
      const dead = (by: KeyPair, streamSeq: number) =>
        log.record("dead", by, {
          envelope: m.envelope,
          reason: "x",
          attempts: 5,
          subject: "s",
          streamSeq,
          stream: s.stream,
          consumer: "c",
          at: T0,
        });
      dead(carol, m.seq); // not carol's message: she cannot smear alice or herself with it
      dead(alice, m.seq);
      dead(alice, m.seq);
      const aboutAlice = log.state.ledger.toJSON().subjects.find(([d]) => d === alice.did)?.[1] ?? [];
      if (pinned) {
        expect(aboutAlice.map(([o, , , counts]) => [o, counts[0]])).toEqual([[bob.did, 1]]);
        expect(log.state.counters).toMatchObject({
          "evidence.refused.dead.unknown_message": 1,
          "evidence.refused.dead.already_judged": 1,
        });
      } else {
        expect(aboutAlice).toEqual([]);
        expect(log.state.counters["evidence.refused.dead.publisher_unproven"]).toBe(3);
      }
      expect([...log.state.ledger.subjects()]).not.toContain(carol.did);
    }
  });

  // The cases below come from the security review of this work (proofs of concept F1-F4, F6, F9), kept as tests.

  it("never counts an answer in a conversation the recipient only replied in as asked for (no honesty at the anchor's weight)", () => {
    const [anchor, mallory, bob] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    const log = new Log(true);
    log.members(anchor, mallory, bob);
    const ask = log.send("inbox", anchor, bob, { conversation: "job", seq: 1 });
    log.send("reply", bob, anchor, { conversation: "job", replyTo: ask.envelope.id, seq: 1 });
    const weight = () =>
      computeReputation(log.state.ledger, [...log.state.agents.keys()], new Set([anchor.did]), log.time, {
        halfLifeMs: log.state.ledger.halfLifeMs,
      }).get(bob.did).factors.responsiveness.weight;
    const before = weight();
    // mallory asks without a conversation; the anchor's handler replies (in a conversation named after the request, as
    // the SDK does); mallory writes again there; the anchor's SDK receipts it. Two hundred times.
    let m = 0;
    for (let k = 1; k <= 200; k++) {
      const q = log.send("inbox", mallory, anchor, { seq: ++m });
      log.send("reply", anchor, mallory, { conversation: q.envelope.id, replyTo: q.envelope.id, seq: k });
      log.send("inbox", mallory, anchor, { conversation: q.envelope.id, seq: ++m });
      log.send("receipt", anchor, mallory, { seq: k, body: { delivered: [], processed: [[1, m]], failed: [] } });
    }
    const aboutMallory = log.state.ledger.toJSON().subjects.find(([d]) => d === mallory.did)?.[1] ?? [];
    expect(aboutMallory.find(([o]) => o === anchor.did)?.[3][3] ?? 0).toBe(0); // no honesty sample sourced by the anchor
    // bob's evidence from the anchor weighs what it did (only decay moves it).
    expect(weight()).toBeCloseTo(before, 3);
  });

  it("takes no dead letter for a reply: only a request its sender chose to send is the publisher's to fail", () => {
    const [anchor, mallory] = [generateKeyPair(), generateKeyPair()];
    const log = new Log(true);
    log.members(anchor, mallory);
    for (let k = 1; k <= 20; k++) {
      const q = log.send("inbox", mallory, anchor, { seq: k, conversation: `c${k}` });
      const reply = log.send("reply", anchor, mallory, { conversation: `c${k}`, replyTo: q.envelope.id, seq: k });
      log.record("dead", mallory, {
        envelope: reply.envelope,
        reason: "x",
        attempts: 5,
        subject: "s",
        streamSeq: reply.seq,
        stream: s.stream,
        consumer: "c",
        at: T0,
      });
    }
    expect(log.state.counters["evidence.refused.dead.unknown_message"]).toBe(20);
    expect(log.state.ledger.toJSON().subjects.find(([d]) => d === mallory.did)).toBeUndefined();
  });

  it("waits, after a snapshot, for exactly the messages it waited for before (same channel seq twice, the second receipted)", async () => {
    const log = new Log(true);
    log.members(alice, bob);
    log.send("inbox", bob, alice, { seq: 5 });
    log.send("inbox", bob, alice, { seq: 5 }); // another id, the same channel seq: both pass
    log.send("receipt", alice, bob, { seq: 1, body: { delivered: [], processed: [[5, 5]], failed: [] } });
    const dir = await mkdtemp(join(tmpdir(), "plexus-evidence-"));
    try {
      const id = { mesh: MESH, stream: s.stream, created: "2026-01-01T00:00:00Z", lastSeq: 1_000_000 };
      await saveSnapshot(dir, log.state, id);
      const loaded = await loadSnapshot(dir, log.state.options, id);
      if (!loaded.state) throw new Error(loaded.reason);
      const restored = new Projector(loaded.state, MESH, []);
      for (let n = 0; n < 2; n++) {
        const next = log.send("receipt", alice, bob, {
          seq: 2 + n,
          body: { delivered: [], processed: [[5, 5]], failed: [] },
        });
        restored.apply({
          subject: `plexus.${MESH}.acp.receipt.${agentToken(bob.did)}.${agentToken(alice.did)}`,
          data: new TextEncoder().encode(canonicalJson(next.envelope)),
          seq: next.seq,
          time: log.time,
        });
      }
      expect(restored.state.ledger.toJSON()).toEqual(log.state.ledger.toJSON());
      expect(restored.state.counters).toEqual(log.state.counters);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("records a junk-signed first reply nowhere a rating would look (operator mode), and counts it against its publisher", () => {
    const log = new Log(true);
    log.members(alice, bob);
    const ask = log.send("inbox", alice, bob, { conversation: "job", seq: 1 });
    const junk = log.send(
      "reply",
      bob,
      alice,
      { conversation: "job", replyTo: ask.envelope.id, seq: 1 },
      { signer: carol },
    );
    const good = log.send("reply", bob, alice, { conversation: "job", replyTo: ask.envelope.id, seq: 2 });
    expect(log.state.conversations.between("job", agentToken(alice.did), agentToken(bob.did))).toEqual({
      fromA: ask.seq,
      fromB: good.seq,
    });
    expect(log.state.recent.get(junk.seq)?.refused).toBe(RejectionReason.BadSignature);
  });

  it("bounds what one conversation and one channel can hold: a crowd adds nothing, a wide receipt scans a bounded set", () => {
    const log = new Log(false);
    const mallory = generateKeyPair();
    for (let k = 0; k < 300; k++) log.send("inbox", mallory, generateKeyPair(), { conversation: "one" });
    expect(log.state.conversations.toJSON()[0]?.[1].length).toBeLessThanOrEqual(MAX_EDGES);
    log.members(alice, bob);
    for (let n = 1; n <= MAX_WAITING_PER_CHANNEL + 500; n++) log.send("inbox", bob, alice, { seq: n });
    expect(log.state.recent.awaiting(bob.did, alice.did)?.size).toBe(MAX_WAITING_PER_CHANNEL);
    // The oldest stopped waiting: a receipt naming them counts none of them.
    log.send("receipt", alice, bob, { body: { delivered: [], processed: [[1, 500]], failed: [] } });
    expect(log.state.counters["evidence.refused.receipt.names_no_waiting_message"]).toBe(1);
  });
});
