import { describe, expect, it } from "vitest";
import { ErrorCode, type PlexusError } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import {
  combineShares,
  commitmentBinding,
  computeShareTag,
  parseShare,
  restoreKeyPair,
  serializeShare,
  splitSeed,
  type KeyShare,
} from "../src/index.js";

function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...tail] = items as [T, ...T[]];
  return [...subsets(tail, k - 1).map((s) => [head, ...s]), ...subsets(tail, k)];
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as PlexusError).code;
  }
  return "no error";
}

function errorOf(fn: () => unknown): PlexusError {
  try {
    fn();
  } catch (err) {
    return err as PlexusError;
  }
  throw new Error("expected an error");
}

/** A share changed on purpose and given a fresh (valid) tag and binding, as a forger would. */
function forged(share: KeyShare, change: Partial<KeyShare>): KeyShare {
  const s = { ...share, ...change };
  s.commitment = {
    did: s.commitment.did,
    binding: commitmentBinding({ did: s.commitment.did, splitId: s.splitId, threshold: s.threshold, total: s.total }),
  };
  return { ...s, tag: computeShareTag(s) };
}

const key = generateKeyPair();
const seed = key.exportSeed();
const shares = splitSeed(seed, { shares: 5, threshold: 3, label: "registry" });

describe("split and combine", () => {
  it("makes n shares of one split that commit to the key", () => {
    expect(shares).toHaveLength(5);
    expect(new Set(shares.map((s) => s.splitId)).size).toBe(1);
    expect(shares.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
    for (const s of shares)
      expect(s).toMatchObject({ threshold: 3, total: 5, label: "registry", commitment: { did: key.did } });
    // No share carries the seed in the clear.
    const text = shares.map(serializeShare).join("");
    expect(text).not.toContain(Buffer.from(seed).toString("hex"));
    expect(text).not.toContain(Buffer.from(seed).toString("base64url"));
  });

  it("restores the key from every k-subset (all 10 of 5 choose 3), and from every larger subset", () => {
    const sets = [...subsets(shares, 3), ...subsets(shares, 4), ...subsets(shares, 5)];
    expect(sets).toHaveLength(10 + 5 + 1);
    for (const set of sets) {
      const combined = combineShares(set);
      expect(Buffer.from(combined.seed).equals(Buffer.from(seed))).toBe(true);
      expect(combined).toMatchObject({ did: key.did, splitId: shares[0]!.splitId, label: "registry" });
    }
    expect(restoreKeyPair(shares.slice(2)).keyPair.did).toBe(key.did);
  });

  it("refuses every (k-1)-subset with SHARES_INSUFFICIENT, saying how many are needed", () => {
    const sets = subsets(shares, 2);
    expect(sets).toHaveLength(10);
    for (const set of sets) expect(codeOf(() => combineShares(set))).toBe(ErrorCode.SharesInsufficient);
    expect(errorOf(() => combineShares(shares.slice(0, 2))).message).toMatch(/2 shares given, but .* needs 3 of its 5/);
    expect(codeOf(() => combineShares([]))).toBe(ErrorCode.SharesInsufficient);
  });

  it("detects every single flipped bit of a share file (data and metadata alike)", () => {
    const bytes = Buffer.from(serializeShare(shares[0]!), "utf8");
    expect(parseShare(bytes.toString("utf8")).tag).toBe(shares[0]!.tag);
    let flips = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(bytes);
        copy[i] = copy[i]! ^ (1 << bit);
        const text = copy.toString("utf8");
        // Even flips in the whitespace count: no single-bit change of a space or newline is JSON whitespace.
        expect(codeOf(() => parseShare(text, "f.json"))).toBe(ErrorCode.ShareInvalid);
        flips++;
      }
    }
    expect(flips).toBe(bytes.length * 8);
  });

  it("names what is wrong with a flipped bit in the share data and in the metadata", () => {
    const s = shares[1]!;
    const last = s.share.at(-1)!;
    const flippedData = { ...s, share: s.share.slice(0, -1) + (Number.parseInt(last, 16) ^ 1).toString(16) };
    expect(errorOf(() => parseShare(JSON.stringify(flippedData), "share file b.json")).message).toBe(
      "share file b.json is not a valid key share: its integrity tag does not match its content (a flipped bit or an edit)",
    );
    const flippedCreated = { ...s, created: s.created.replace(/.$/, "Y") };
    expect(codeOf(() => parseShare(JSON.stringify(flippedCreated)))).toBe(ErrorCode.ShareInvalid);
    expect(errorOf(() => parseShare(JSON.stringify({ ...s, threshold: 2 }))).message).toMatch(
      /commitment does not bind/,
    );
    expect(errorOf(() => parseShare(JSON.stringify({ ...s, index: 3 }))).message).toMatch(
      /"index" 3 does not match the share's own index 2/,
    );
    expect(errorOf(() => parseShare("{not json")).message).toMatch(/not valid JSON/);
    // Unparsable or damaged shares are refused before any combining.
    expect(codeOf(() => combineShares([shares[0]!, flippedData, shares[2]!]))).toBe(ErrorCode.ShareInvalid);
  });

  it("refuses a re-tagged (forged) share at combine time: the result is not the committed key", () => {
    const s = shares[2]!;
    const data = s.share.slice(3);
    const tampered = forged(s, { share: s.share.slice(0, 3) + (data[0] === "0" ? "1" : "0") + data.slice(1) });
    expect(parseShare(serializeShare(tampered)).tag).toBe(tampered.tag); // passes the integrity check
    const err = errorOf(() => combineShares([shares[0]!, shares[1]!, tampered]));
    expect(err.code).toBe(ErrorCode.ShareCommitmentMismatch);
    expect(err.message).toContain(key.did);
    // Lowering k in every share (re-tagged) does not let two shares through either.
    const lowered = shares.slice(0, 2).map((x) => forged(x, { threshold: 2 }));
    expect(codeOf(() => combineShares(lowered))).toBe(ErrorCode.ShareCommitmentMismatch);
  });

  it("refuses duplicate shares: the same share twice, or two shares with the same index", () => {
    expect(codeOf(() => combineShares([shares[0]!, shares[0]!, shares[1]!]))).toBe(ErrorCode.ShareDuplicate);
    expect(errorOf(() => combineShares([shares[0]!, shares[1]!, shares[1]!])).message).toMatch(
      /share #2 of split .* is given twice/,
    );
    const sameIndex = forged(shares[3]!, { share: `802${shares[3]!.share.slice(3)}`, index: 2 });
    expect(codeOf(() => combineShares([shares[0]!, shares[1]!, sameIndex]))).toBe(ErrorCode.ShareDuplicate);
  });

  it("refuses shares of another split of the same key, and of another key", () => {
    const again = splitSeed(seed, { shares: 5, threshold: 3 });
    expect(again[0]!.splitId).not.toBe(shares[0]!.splitId);
    expect(codeOf(() => combineShares([shares[0]!, shares[1]!, again[2]!]))).toBe(ErrorCode.ShareSplitMismatch);
    const otherSeed = generateKeyPair().exportSeed();
    const other = splitSeed(otherSeed, { shares: 5, threshold: 3 });
    const err = errorOf(() => combineShares([shares[0]!, shares[1]!, other[2]!]));
    expect(err.code).toBe(ErrorCode.ShareSplitMismatch);
    expect(err.message).toMatch(/shares of different splits/);
    // The same split id with a different key (forged) is refused too.
    const sameId = forged(other[2]!, { splitId: shares[0]!.splitId });
    expect(codeOf(() => combineShares([shares[0]!, shares[1]!, sameId]))).toBe(ErrorCode.ShareSplitMismatch);
  });

  it("refuses k < 2, k > n, n > 255; accepts the bounds", () => {
    expect(errorOf(() => splitSeed(seed, { shares: 3, threshold: 1 })).message).toMatch(/at least 2, got 1/);
    expect(codeOf(() => splitSeed(seed, { shares: 3, threshold: 0 }))).toBe(ErrorCode.SplitInvalid);
    expect(errorOf(() => splitSeed(seed, { shares: 3, threshold: 4 })).message).toMatch(
      /threshold \(4\) must not exceed the number of shares \(3\)/,
    );
    expect(errorOf(() => splitSeed(seed, { shares: 256, threshold: 3 })).message).toMatch(/at most 255 shares/);
    expect(codeOf(() => splitSeed(seed, { shares: 2.5, threshold: 2 }))).toBe(ErrorCode.SplitInvalid);
    expect(codeOf(() => splitSeed(seed.subarray(1), { shares: 3, threshold: 2 }))).toBe(ErrorCode.InvalidArgument);
    const two = splitSeed(seed, { shares: 2, threshold: 2 });
    expect(combineShares(two).did).toBe(key.did);
    const many = splitSeed(seed, { shares: 255, threshold: 255 });
    expect(many.at(-1)!.index).toBe(255);
    expect(combineShares(many).did).toBe(key.did);
    expect(codeOf(() => combineShares(many.slice(1)))).toBe(ErrorCode.SharesInsufficient);
  });
});
