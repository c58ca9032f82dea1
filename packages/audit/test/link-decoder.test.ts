/** The verifier's fast link decoder gives what decodeLink gives, for what the sealer stores and for anything else. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeLink, encodeLink } from "../src/store/codec.js";
import { decodeStoredLink } from "../src/verify/link-decoder.js";

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const link = fc.record({
  n: fc.oneof(
    fc.nat(),
    fc.constant(Number.MAX_SAFE_INTEGER),
    fc.integer({ min: -5, max: 5 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  ),
  event: fc.oneof(hex64, fc.string()),
  hash: fc.oneof(
    hex64,
    hex64.map((h) => h.toUpperCase()),
    fc.string(),
  ),
  subject: fc.oneof(fc.constant("plexus.m.acp.inbox.z6Mkabc.z6Mkdef"), fc.string({ unit: "binary" })),
  storedAt: fc.oneof(fc.constant(1_764_000_000_000), fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })),
});

describe("decodeStoredLink", () => {
  it("decodes stored links exactly as decodeLink does", () => {
    fc.assert(
      fc.property(link, fc.nat({ max: 1000 }), (l, position) => {
        const bytes = encodeLink(l);
        expect(decodeStoredLink(bytes, position)).toEqual(decodeLink(bytes, position));
      }),
      { numRuns: 1000 },
    );
  });

  it("and for any bytes: altered, cut, or garbage", () => {
    const stored = encodeLink({
      n: 12,
      event: "ab".repeat(32),
      hash: "cd".repeat(32),
      subject: "plexus.m.x",
      storedAt: 1_764_000_000_000,
    });
    fc.assert(
      fc.property(
        fc.nat({ max: stored.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: stored.length }),
        (at, byte, cut) => {
          const altered = Uint8Array.from(stored);
          altered[at] = byte;
          expect(decodeStoredLink(altered, 7)).toEqual(decodeLink(altered, 7));
          const short = stored.subarray(0, cut);
          expect(decodeStoredLink(short, 7)).toEqual(decodeLink(short, 7));
        },
      ),
      { numRuns: 2000 },
    );
    expect(decodeStoredLink(stored, 7)).toEqual({
      n: 12,
      event: "ab".repeat(32),
      hash: "cd".repeat(32),
      subject: "plexus.m.x",
      storedAt: 1_764_000_000_000,
    });
  });
});
