/**
 * The key share as a JSON document (version 1): which split it belongs to, its index, k and n, the commitment (the
 * DID of the key the shares restore, plus a hash binding it to the split), the Shamir share itself, and an
 * integrity tag over all of that. The tag catches damage (a flipped bit, an edit by hand); it is no secret, so a
 * deliberate forgery can recompute it, and the final guard is the commitment checked when shares are combined.
 */
import { createHash } from "node:crypto";
import { canonicalJson, ErrorCode, PlexusError } from "@plexus/core";
import { publicKeyFromDid } from "@plexus/identity";
import { DID_KEY_PREFIX, KEY_NAME_PATTERN } from "@plexus/identity/internal";
import { MAX_SHARES, SHARE_DATA_HEX_LENGTH, SHARE_PREFIX_LENGTH, shamirParts } from "./shamir.js";

export const SHARE_TYPE = "plexus-key-share";
export const SHARE_VERSION = 1;
/** Domain separation for the hashes below. */
const TAG_DOMAIN = "plexus-key-share/v1 tag\n";
const BINDING_DOMAIN = "plexus-key-share/v1 commitment\n";
const SPLIT_ID = /^[A-Za-z0-9_-]{22}$/;
const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;

/** What a share commits to: the key (its did:key) and a hash binding it to the split's id, k and n. */
export interface ShareCommitment {
  did: string;
  binding: string;
}

/** One share of a split key, exactly as stored in a share file. */
export interface KeyShare {
  type: typeof SHARE_TYPE;
  version: typeof SHARE_VERSION;
  /** Random id of this split (16 bytes, base64url); shares combine only with shares of the same split. */
  splitId: string;
  /** The key's name when it was split: `keys combine` restores it under this name by default. */
  label?: string;
  /** 1..n, the share's x coordinate. */
  index: number;
  /** k: how many shares restore the key. */
  threshold: number;
  /** n: how many shares were made. */
  total: number;
  commitment: ShareCommitment;
  /** The Shamir share (secrets.js-grempe form: "8", two hex digits of index, hex data). Secret material. */
  share: string;
  /** ISO 8601 time of the split. */
  created: string;
  /** base64url SHA-256 over every other field (canonical JSON). */
  tag: string;
}

const FIELDS = [
  "type",
  "version",
  "splitId",
  "label",
  "index",
  "threshold",
  "total",
  "commitment",
  "share",
  "created",
  "tag",
];

function sha256(domain: string, text: string): string {
  return createHash("sha256").update(domain).update(text).digest("base64url");
}

/** The commitment's binding: the key's DID tied to the split's id, k and n. */
export function commitmentBinding(o: { did: string; splitId: string; threshold: number; total: number }): string {
  return sha256(
    BINDING_DOMAIN,
    canonicalJson({ did: o.did, splitId: o.splitId, threshold: o.threshold, total: o.total }),
  );
}

/** The integrity tag of a share: a hash over all its fields but `tag`. */
export function computeShareTag(share: Omit<KeyShare, "tag"> & { tag?: string }): string {
  const { tag: _tag, ...rest } = share;
  return sha256(TAG_DOMAIN, canonicalJson(rest));
}

/** A share file's text (pretty JSON, a trailing newline). */
export function serializeShare(share: KeyShare): string {
  return `${JSON.stringify(share, null, 2)}\n`;
}

/** Parses and checks a share file's text; `source` (a file name) goes into the messages. */
export function parseShare(text: string, source = "share"): KeyShare {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Never quote the text or the parser's message: either could carry share data.
    throw corrupt(source, "it is not valid JSON");
  }
  return checkShare(value, source);
}

/** Checks a parsed share document (from a file or an HTTP body): structure, commitment binding, integrity tag. */
export function checkShare(value: unknown, source = "share"): KeyShare {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw corrupt(source, "it is not a JSON object");
  const r = value as Record<string, unknown>;
  if (r["type"] !== SHARE_TYPE) throw corrupt(source, `"type" is not "${SHARE_TYPE}" (not a Plexus key share)`);
  if (r["version"] !== SHARE_VERSION)
    throw corrupt(source, `unsupported version ${JSON.stringify(r["version"])} (expected ${SHARE_VERSION})`);
  const extra = Object.keys(r).filter((k) => !FIELDS.includes(k));
  if (extra.length > 0)
    throw corrupt(
      source,
      `unknown field${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k.slice(0, 40))).join(", ")}`,
    );
  if (typeof r["splitId"] !== "string" || !SPLIT_ID.test(r["splitId"]))
    throw corrupt(source, `"splitId" is not a 16-byte base64url id`);
  if (r["label"] !== undefined && (typeof r["label"] !== "string" || !KEY_NAME_PATTERN.test(r["label"])))
    throw corrupt(source, `"label" is not a key name`);
  const total = whole(r["total"], 2, MAX_SHARES, "total", source);
  const threshold = whole(r["threshold"], 2, total, "threshold", source);
  const index = whole(r["index"], 1, total, "index", source);
  const commitment = checkCommitment(r["commitment"], source);
  const share = r["share"];
  const parts = typeof share === "string" ? shamirParts(share) : undefined;
  if (!parts || (share as string).length !== SHARE_PREFIX_LENGTH + SHARE_DATA_HEX_LENGTH)
    throw corrupt(source, `"share" is not a share of a 32-byte key`);
  if (parts.index !== index)
    throw corrupt(source, `"index" ${index} does not match the share's own index ${parts.index}`);
  if (typeof r["created"] !== "string" || Number.isNaN(Date.parse(r["created"])))
    throw corrupt(source, `"created" is not a time`);
  if (typeof r["tag"] !== "string" || !BASE64URL_SHA256.test(r["tag"]))
    throw corrupt(source, `"tag" is not a base64url SHA-256`);
  const parsed = value as KeyShare;
  if (commitmentBinding({ did: commitment.did, splitId: parsed.splitId, threshold, total }) !== commitment.binding) {
    throw corrupt(source, "its commitment does not bind its split id, threshold and total (edited or damaged)");
  }
  if (computeShareTag(parsed) !== parsed.tag)
    throw corrupt(source, "its integrity tag does not match its content (a flipped bit or an edit)");
  return parsed;
}

function checkCommitment(value: unknown, source: string): ShareCommitment {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw corrupt(source, `"commitment" is not an object`);
  const c = value as Record<string, unknown>;
  if (Object.keys(c).some((k) => k !== "did" && k !== "binding"))
    throw corrupt(source, `"commitment" has unknown fields`);
  const did = c["did"];
  if (typeof did !== "string" || !did.startsWith(DID_KEY_PREFIX))
    throw corrupt(source, `"commitment.did" is not a did:key`);
  try {
    publicKeyFromDid(did);
  } catch {
    throw corrupt(source, `"commitment.did" is not a valid Ed25519 did:key`);
  }
  if (typeof c["binding"] !== "string" || !BASE64URL_SHA256.test(c["binding"]))
    throw corrupt(source, `"commitment.binding" is not a base64url SHA-256`);
  return { did, binding: c["binding"] };
}

function whole(v: unknown, min: number, max: number, name: string, source: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw corrupt(source, `"${name}" must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function corrupt(source: string, why: string): PlexusError {
  return new PlexusError(ErrorCode.ShareInvalid, `${source} is not a valid key share: ${why}`, { details: { source } });
}
