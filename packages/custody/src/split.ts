/**
 * Splitting an Ed25519 seed into n shares (any k restore it) and combining them, failing closed: shares must be
 * intact (tag), of one split, distinct, at least k, and their combination must be the committed key, or nothing
 * is returned. Plain Shamir would hand back a wrong secret without a word in every one of those cases.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, PlexusError } from "@plexus/core";
import { keyPairFromSeed, type KeyPair } from "@plexus/identity";
import { ED25519_SEED_LENGTH, KEY_NAME_PATTERN } from "@plexus/identity/internal";
import { MAX_SHARES, shamirCombine, shamirSplit } from "./shamir.js";
import {
  checkShare,
  commitmentBinding,
  computeShareTag,
  SHARE_TYPE,
  SHARE_VERSION,
  type KeyShare,
} from "./share-format.js";

export interface SplitOptions {
  /** n: how many shares to make (2..255). */
  shares: number;
  /** k: how many of them restore the key (2..n). */
  threshold: number;
  /** The key's name, recorded in the shares (the default name `keys combine` restores it under). */
  label?: string;
}

/** What a successful combine gives: the seed (zero it when done), its DID, and the split it came from. */
export interface Combined {
  seed: Uint8Array;
  did: string;
  splitId: string;
  label?: string;
}

/** The facts every share of one split agrees on. */
export interface SplitInfo {
  splitId: string;
  did: string;
  threshold: number;
  total: number;
  label?: string;
}

/** Refuses k < 2, k > n, n > 255 and non-integers, saying which. */
export function checkSplitOptions(o: SplitOptions): void {
  const { shares: n, threshold: k } = o;
  const bad = (why: string) => new PlexusError(ErrorCode.SplitInvalid, why, { details: { shares: n, threshold: k } });
  if (!Number.isInteger(n) || !Number.isInteger(k))
    throw bad(`the number of shares and the threshold must be whole numbers, got ${n} and ${k}`);
  if (k < 2) throw bad(`the threshold must be at least 2, got ${k} (with 1, every share alone would be the key)`);
  if (n > MAX_SHARES) throw bad(`at most ${MAX_SHARES} shares can be made (Shamir over GF(256)), got ${n}`);
  if (k > n)
    throw bad(`the threshold (${k}) must not exceed the number of shares (${n}): the key could never be restored`);
  if (o.label !== undefined && !KEY_NAME_PATTERN.test(o.label))
    throw bad(`label ${JSON.stringify(o.label.slice(0, 80))} is not a key name`);
}

/** Splits a 32-byte Ed25519 seed into `shares` shares, any `threshold` of which restore it. */
export function splitSeed(seed: Uint8Array, o: SplitOptions): KeyShare[] {
  checkSplitOptions(o);
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_LENGTH) {
    throw new PlexusError(ErrorCode.InvalidArgument, `only a ${ED25519_SEED_LENGTH}-byte Ed25519 seed can be split`);
  }
  const did = keyPairFromSeed(seed).did;
  const splitId = randomBytes(16).toString("base64url");
  const binding = commitmentBinding({ did, splitId, threshold: o.threshold, total: o.shares });
  const created = new Date().toISOString();
  const raw = shamirSplit(Buffer.from(seed).toString("hex"), o.shares, o.threshold);
  return raw.map((share, i) => {
    const unsigned: Omit<KeyShare, "tag"> = {
      type: SHARE_TYPE,
      version: SHARE_VERSION,
      splitId,
      ...(o.label !== undefined ? { label: o.label } : {}),
      index: i + 1,
      threshold: o.threshold,
      total: o.shares,
      commitment: { did, binding },
      share,
      created,
    };
    return { ...unsigned, tag: computeShareTag(unsigned) };
  });
}

/**
 * Checks that shares belong together without combining them: each intact, all of one split (same id, key, k, n),
 * no index or share data twice. Returns what they agree on. Does not check the count against k.
 */
export function checkShareSet(shares: readonly KeyShare[]): SplitInfo {
  const first = shares[0];
  if (!first) throw new PlexusError(ErrorCode.SharesInsufficient, "no shares given");
  shares.forEach((s, i) => checkShare(s, `share ${i + 1}`));
  for (const s of shares) {
    if (s.splitId !== first.splitId) {
      throw new PlexusError(
        ErrorCode.ShareSplitMismatch,
        `shares of different splits: share #${s.index} is from split ${s.splitId} (key ${s.commitment.did}), share #${first.index} from split ${first.splitId} (key ${first.commitment.did})`,
        { details: { splitIds: [first.splitId, s.splitId] } },
      );
    }
    if (
      s.commitment.did !== first.commitment.did ||
      s.threshold !== first.threshold ||
      s.total !== first.total ||
      s.label !== first.label
    ) {
      throw new PlexusError(
        ErrorCode.ShareSplitMismatch,
        `shares of split ${s.splitId} disagree on its key, threshold, total or label (edited shares)`,
        {
          details: { splitId: s.splitId },
        },
      );
    }
  }
  const seen = new Map<number, string>();
  const data = new Set<string>();
  for (const s of shares) {
    if (seen.has(s.index) || data.has(s.share)) {
      throw new PlexusError(
        ErrorCode.ShareDuplicate,
        `share #${s.index} of split ${s.splitId} is given twice; give ${first.threshold} different shares`,
        {
          details: { index: s.index, splitId: s.splitId },
        },
      );
    }
    seen.set(s.index, s.share);
    data.add(s.share);
  }
  const info: SplitInfo = {
    splitId: first.splitId,
    did: first.commitment.did,
    threshold: first.threshold,
    total: first.total,
  };
  if (first.label !== undefined) info.label = first.label;
  return info;
}

/** Combines shares into the seed, or throws: SHARE_INVALID, SHARE_SPLIT_MISMATCH, SHARE_DUPLICATE, SHARES_INSUFFICIENT, SHARE_COMMITMENT_MISMATCH. */
export function combineShares(shares: readonly KeyShare[]): Combined {
  const info = checkShareSet(shares);
  if (shares.length < info.threshold) {
    throw new PlexusError(
      ErrorCode.SharesInsufficient,
      `${shares.length} share${shares.length === 1 ? "" : "s"} given, but split ${info.splitId} of ${info.did} needs ${info.threshold} of its ${info.total}`,
      { details: { given: shares.length, threshold: info.threshold, splitId: info.splitId } },
    );
  }
  const hex = shamirCombine(shares.map((s) => s.share));
  const seed = /^[0-9a-f]{64}$/.test(hex) ? Uint8Array.from(Buffer.from(hex, "hex")) : undefined;
  const did = seed ? keyPairFromSeed(seed).did : undefined;
  if (!seed || did !== info.did) {
    seed?.fill(0);
    throw new PlexusError(
      ErrorCode.ShareCommitmentMismatch,
      `the shares do not restore the committed key ${info.did} (at least one share was altered and re-tagged, or forged): refused`,
      { details: { did: info.did, splitId: info.splitId } },
    );
  }
  const out: Combined = { seed, did, splitId: info.splitId };
  if (info.label !== undefined) out.label = info.label;
  return out;
}

/** combineShares, as a key pair; the seed copy is zeroed. */
export function restoreKeyPair(shares: readonly KeyShare[]): { keyPair: KeyPair; splitId: string; label?: string } {
  const { seed, splitId, label } = combineShares(shares);
  try {
    const keyPair = keyPairFromSeed(seed);
    return label === undefined ? { keyPair, splitId } : { keyPair, splitId, label };
  } finally {
    seed.fill(0);
  }
}
