/**
 * The one guard for untrusted JSON, as properties: whatever the bytes, `parseJson` answers with a verdict and never
 * throws; its limits agree with `checkValueLimits` (what a sender is refused is what a reader refuses); a value it lets
 * through can be canonicalised (no stack overflow); and the mis-encodings RFC 8259/8785 forbid are refused.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, checkValueLimits, isPlexusError, parseJson } from "../src/index.js";
import { DEFAULT_JSON_LIMITS, type JsonLimits } from "../src/json-limits.js";
import { JsonRefusal } from "../src/untrusted-json.js";

const small: JsonLimits = { maxDepth: 4, maxKeys: 3, maxArrayLength: 3, maxStringLength: 8 };

function nested(depth: number, open = "[", close = "]"): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** JSON values with short ASCII strings (no escapes), so text length and value length agree. */
const plainJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, 1.5, -3),
    fc.stringMatching(/^[a-z]{0,10}$/),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("parseJson", () => {
  it("never throws, whatever the bytes, and says why it refused", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const r = parseJson(bytes);
        if (!r.ok) expect(Object.values(JsonRefusal)).toContain(r.reason);
      }),
      { numRuns: 2_000 },
    );
  });

  it("never throws on truncations and splices of valid JSON", () => {
    fc.assert(
      fc.property(plainJson, fc.nat(), fc.string(), (value, cut, insert) => {
        const text = JSON.stringify(value);
        const at = cut % (text.length + 1);
        parseJson(text.slice(0, at));
        parseJson(text.slice(0, at) + insert + text.slice(at));
      }),
    );
  });

  it("refuses nesting past the limit before any recursive work: 100,000 deep is limit_exceeded, not a stack overflow", () => {
    for (const [open, close] of [
      ["[", "]"],
      ['{"a":', "}"],
    ] as const) {
      const text = `${open.repeat(100_000)}1${close.repeat(100_000)}`;
      const r = parseJson(text);
      expect(r).toMatchObject({ ok: false, reason: JsonRefusal.LimitExceeded });
    }
    expect(parseJson(nested(DEFAULT_JSON_LIMITS.maxDepth)).ok).toBe(true);
    expect(parseJson(nested(DEFAULT_JSON_LIMITS.maxDepth + 1))).toMatchObject({
      ok: false,
      reason: JsonRefusal.LimitExceeded,
    });
  });

  it("agrees with checkValueLimits on every value: a sender is refused exactly what a reader refuses", () => {
    fc.assert(
      fc.property(plainJson, (value) => {
        const read = parseJson(JSON.stringify(value), { limits: small });
        let sendable = true;
        try {
          checkValueLimits(value, small);
        } catch (err) {
          expect(isPlexusError(err, "LIMIT_EXCEEDED")).toBe(true);
          sendable = false;
        }
        expect(read.ok).toBe(sendable);
        if (!read.ok) expect(read.reason).toBe(JsonRefusal.LimitExceeded);
      }),
      { numRuns: 2_000 },
    );
  });

  it("lets through only values that canonicalise", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const r = parseJson(JSON.stringify(value));
        if (r.ok) expect(() => canonicalJson(r.value)).not.toThrow();
      }),
    );
  });

  it("refuses the mis-encodings: lone surrogates, overlong UTF-8, encoded surrogates, a BOM, raw NUL", () => {
    const refused: [string, Uint8Array | string][] = [
      ["lone high surrogate", '{"a":"\\ud800"}'],
      ["lone low surrogate", '{"a":"\\udc00x"}'],
      ["high surrogate then non-low", '{"a":"\\ud800\\u0041"}'],
      ["overlong '/'", Uint8Array.from([0x22, 0xc0, 0xaf, 0x22])],
      ["UTF-8 encoded surrogate", Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
      ["BOM", Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])],
      ["raw NUL in a string", Uint8Array.from([0x22, 0x00, 0x22])],
      ["truncated multi-byte", Uint8Array.from([0x22, 0xe2, 0x82])],
    ];
    for (const [name, data] of refused)
      expect(parseJson(data), name).toMatchObject({ ok: false, reason: JsonRefusal.MalformedJson });
    expect(parseJson('{"a":"\\ud83d\\ude00","nul":"\\u0000"}').ok).toBe(true);
  });

  it("counts members, items and string length", () => {
    expect(parseJson('{"a":1,"b":2,"c":3}', { limits: small }).ok).toBe(true);
    expect(parseJson('{"a":1,"b":2,"c":3,"d":4}', { limits: small })).toMatchObject({
      ok: false,
      reason: JsonRefusal.LimitExceeded,
    });
    expect(parseJson("[1,2,3,4]", { limits: small })).toMatchObject({ ok: false, reason: JsonRefusal.LimitExceeded });
    expect(parseJson('["12345678"]', { limits: small }).ok).toBe(true);
    expect(parseJson('["123456789"]', { limits: small })).toMatchObject({
      ok: false,
      reason: JsonRefusal.LimitExceeded,
    });
    expect(parseJson('{"123456789":1}', { limits: small })).toMatchObject({
      ok: false,
      reason: JsonRefusal.LimitExceeded,
    });
    expect(parseJson("[1,2]", { maxBytes: 4 })).toMatchObject({ ok: false, reason: JsonRefusal.Oversized });
  });
});

describe("canonicalJson depth", () => {
  it("refuses a value nested past its bound with LIMIT_EXCEEDED, never a RangeError", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    let caught: unknown;
    try {
      canonicalJson(deep);
    } catch (err) {
      caught = err;
    }
    expect(isPlexusError(caught, "LIMIT_EXCEEDED")).toBe(true);
  });
});
