import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/index.js";

/** Values chosen to exercise what JCS is strict about: key order, number forms, escapes, nesting, undefined members. */
const cases: unknown[] = [
  { b: 1, a: [true, null, 1e21, 0.5], c: "é" },
  { "\u20ac": 1, "\r": 2, "1": 3, "\ud83d\ude00": 4, "\u0080": 5, ö: 6, A: 7, a: 8 },
  // biome-ignore lint/correctness/noPrecisionLoss: RFC 8785's number vectors, written as the spec writes them
  [1, -0, 1e-7, 123456789012345680000, 4.5e-324, 0.1 + 0.2, -1.5e300],
  { nested: { z: [{ y: 1, x: 2 }], a: {} }, s: 'quote" backslash\\ tab\t newline\n \u0001 \u2028' },
  { skip: undefined, keep: 1 },
  "plain",
  42,
  null,
  [],
  {},
];

describe("canonicalJson", () => {
  it.each(cases.map((c) => [JSON.stringify(c) ?? String(c), c]))(
    "matches the canonicalize package for %s",
    (_label, value) => {
      expect(canonicalJson(value)).toBe(canonicalize(value));
    },
  );

  it("matches the RFC 8785 example of key sorting by UTF-16 code units", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"];
    const expected = `{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(input[k as keyof typeof input])}`).join(",")}}`;
    expect(canonicalJson(input)).toBe(expected);
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/no JSON form/);
    expect(() => canonicalJson(undefined)).toThrow(/no JSON form/);
  });
});
