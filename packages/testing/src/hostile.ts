/**
 * What a hostile member can put on the subjects it may publish to, as fast-check arbitraries: each generated message
 * carries its bytes and the rejection reason a reader must give it. Deep, wide, huge, truncated, mis-encoded (lone
 * surrogates, overlong UTF-8, NUL, BOM), unsigned, schema-invalid, mis-signed, re-signed, stale, wrong-subject and
 * non-JSON. Replays need a stored original, so tests build them from `validEnvelope` themselves.
 *
 * The expected reasons follow the reader's order of checks (protocols/acp inbound-check.ts): size, UTF-8 and JSON
 * shape, JSON, signature present, schema, subject, freshness, signature.
 */
import fc from "fast-check";
import { canonicalJson, newId, type Envelope, type UnsignedEnvelope } from "@plexus/core";
import { generateKeyPair, signEnvelope, type KeyPair } from "@plexus/identity";

export interface HostileContext {
  /** The hostile member's key: it publishes on subjects that carry its own token. */
  key: KeyPair;
  /** The DID the message is addressed to (`to`), or undefined for a topic message. */
  to?: string;
  /** The topic, for topic messages. */
  topic?: string;
  /** The envelope type (a receipt subject needs `acp.receipt`, a reply subject a `replyTo`). */
  type?: string;
  replyTo?: string;
  /** Another agent's DID, for messages addressed to the wrong recipient. */
  other: string;
  /** Largest envelope readers accept (bytes). */
  maxEnvelopeBytes: number;
}

export interface HostileMessage {
  label: string;
  data: Uint8Array;
  /** The reason a reader must give; undefined for bytes a reader must accept (a legitimate message). */
  reason: string;
}

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A well-formed unsigned envelope from the hostile member, as the context describes it. */
export function unsignedEnvelope(
  ctx: HostileContext,
  body: unknown,
  extra: Partial<UnsignedEnvelope> = {},
): UnsignedEnvelope {
  return {
    v: 1,
    id: newId(),
    from: ctx.key.did,
    ...(ctx.topic !== undefined ? { topic: ctx.topic } : { to: ctx.to! }),
    ...(ctx.replyTo !== undefined ? { replyTo: ctx.replyTo } : {}),
    type: ctx.type ?? "acp.message",
    body,
    ts: Date.now(),
    seq: 1,
    ...extra,
  };
}

/** The wire bytes of an envelope signed by `key` (the hostile member's, unless re-signing). */
export function validEnvelope(
  ctx: HostileContext,
  body: unknown,
  extra: Partial<UnsignedEnvelope> = {},
  key: KeyPair = ctx.key,
): { envelope: Envelope; data: Uint8Array } {
  const { envelope } = signEnvelope(unsignedEnvelope(ctx, body, extra), key);
  return { envelope, data: bytes(canonicalJson(envelope)) };
}

function deepBody(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** An envelope whose body is replaced by raw JSON text after signing (the signature no longer matters: limits come first). */
function withRawBody(ctx: HostileContext, raw: string): Uint8Array {
  const { envelope } = validEnvelope(ctx, 0);
  const text = canonicalJson(envelope);
  return bytes(text.replace('"body":0', `"body":${raw}`));
}

const BOM = Uint8Array.from([0xef, 0xbb, 0xbf]);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every kind of hostile message, each with the reason a reader must give it. */
export function hostileMessages(ctx: HostileContext): fc.Arbitrary<HostileMessage> {
  const m = (label: string, data: Uint8Array, reason: string): HostileMessage => ({ label, data, reason });
  return fc.oneof(
    fc
      .tuple(fc.integer({ min: 65, max: 20_000 }), fc.constantFrom("array" as const, "object" as const))
      .map(([d, k]) => m(`deep ${k} ${d}`, withRawBody(ctx, deepBody(d, k)), "limit_exceeded")),
    fc
      .integer({ min: 1_025, max: 3_000 })
      .map((n) =>
        m(
          `${n} members`,
          withRawBody(ctx, `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(",")}}`),
          "limit_exceeded",
        ),
      ),
    fc
      .integer({ min: 16_385, max: 20_000 })
      .map((n) => m(`${n} items`, withRawBody(ctx, `[${"0,".repeat(n - 1)}0]`), "limit_exceeded")),
    fc
      .integer({ min: 1, max: 4_096 })
      .map((extra) =>
        m("huge", withRawBody(ctx, JSON.stringify("x".repeat(ctx.maxEnvelopeBytes + extra))), "oversized"),
      ),
    fc.nat().map((cut) => {
      const data = validEnvelope(ctx, { text: "truncated" }).data;
      return m("truncated", data.subarray(0, 1 + (cut % (data.length - 2))), "malformed_json");
    }),
    fc
      .constantFrom("\\ud800", "\\udfff", "\\ud83dx")
      .map((s) => m(`lone surrogate ${s}`, withRawBody(ctx, `"${s}"`), "malformed_json")),
    fc.constantFrom([0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xff]).map((seq) => {
      const text = canonicalJson(validEnvelope(ctx, "XX").envelope);
      const at = text.indexOf('"XX"') + 1;
      return m(
        `mis-encoded ${seq.map((b) => b.toString(16)).join(" ")}`,
        concat(bytes(text.slice(0, at)), Uint8Array.from(seq), bytes(text.slice(at + 2))),
        "malformed_json",
      );
    }),
    fc.constant(0).map(() => m("NUL", withRawBody(ctx, '"a\u0000b"'), "malformed_json")),
    fc.constant(0).map(() => m("BOM", concat(BOM, validEnvelope(ctx, "bom").data), "malformed_json")),
    fc.string({ maxLength: 200 }).map((s) => m("not JSON", bytes(`<${s}`), "malformed_json")),
    fc
      .jsonValue({ maxDepth: 3 })
      .map((v) => m("unsigned", bytes(JSON.stringify(unsignedEnvelope(ctx, v))), "unsigned")),
    fc
      .constant(0)
      .map(() =>
        m("extra field", validEnvelope(ctx, 1, { extra: true } as Partial<UnsignedEnvelope>).data, "schema_invalid"),
      ),
    fc.jsonValue({ maxDepth: 3 }).map((v) => {
      const { envelope } = validEnvelope(ctx, v);
      return m(
        "body altered after signing",
        bytes(canonicalJson({ ...envelope, body: { altered: v } })),
        "bad_signature",
      );
    }),
    fc
      .constant(0)
      .map(() =>
        m("signed by another key", validEnvelope(ctx, "re-signed", {}, generateKeyPair()).data, "bad_signature"),
      ),
    fc
      .integer({ min: 5 * 60_000, max: 48 * 3_600_000 })
      .map((age) => m(`stale ${age} ms`, validEnvelope(ctx, "old", { ts: Date.now() - age }).data, "stale")),
    fc
      .constant(0)
      .map(() =>
        m(
          "wrong subject",
          validEnvelope(ctx, "elsewhere", ctx.topic !== undefined ? { topic: `not-${ctx.topic}` } : { to: ctx.other })
            .data,
          "subject_mismatch",
        ),
      ),
  );
}

/** Junk for record subjects (`ops.rejected.<me>`, `ops.dead.<me>`): anything but a record of that kind. */
export function junkRecords(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.string({ maxLength: 100 }).map((s) => bytes(`not json ${s}`)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => bytes(JSON.stringify({ junk: v }))),
    fc.integer({ min: 100, max: 10_000 }).map((d) => bytes("[".repeat(d) + "]".repeat(d))),
    fc.constant(
      bytes('{"reason":"stale","detail":"\u001b[2Jforged","subject":"x","streamSeq":1,"size":1,"consumer":"x","at":1}'),
    ),
  );
}
