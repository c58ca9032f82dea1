/**
 * Checking a proof file offline (no NATS, no store): the checkpoint note(s) signed by the pinned signer (or, with none
 * pinned, by the did:key the file names, reported as `pinned: false`: the file vouches for itself then), for the log
 * the caller names (`origin`; without one any origin, reported), then the proof (RFC 9162 inclusion of the event's
 * leaf, or consistency of the two checkpoints). Returns a stable `reason` when it does not hold.
 *
 * The leaf input is subject ‖ 0x00 ‖ payload (the live log's, unchanged): it reads back unambiguously only when the
 * subject has no NUL, so a proof whose subject holds one (or is not well-formed Unicode, which UTF-8 would encode
 * like another string) is refused as `ambiguous_subject`. A leaf is thus read as: subject = the bytes up to its
 * first NUL.
 */
import { leafHash, leafInput } from "../merkle/hash.js";
import { verifyConsistency, verifyInclusion } from "../merkle/verify.js";
import { openCheckpointNote, type TreeHead } from "../note/checkpoint-note.js";
import { CONSISTENCY_FORMAT, INCLUSION_FORMAT, type ProofFile } from "./format.js";

export type ProofFailure =
  /** Not a proof file, or a field of the wrong shape. */
  | "malformed"
  /** A checkpoint note is not signed by the pinned signer (or its signature fails). */
  | "checkpoint_signature"
  /** A checkpoint note is for another log (origin) than the one required, or than the other note. */
  | "origin"
  /** The event's subject contains NUL (or a lone surrogate): its leaf input could be read as another event's. */
  | "ambiguous_subject"
  /** The inclusion proof does not lead from the event's leaf to the checkpoint's root. */
  | "inclusion"
  /** The consistency proof does not show the older checkpoint's tree is a prefix of the newer one's. */
  | "consistency";

export interface CheckProofOptions {
  /**
   * did:keys trusted to sign checkpoints. Without any, the file's own `signer` is used and the result says
   * `pinned: false`: a proof that holds then only shows the file is consistent with itself (anyone can make one).
   */
  signers?: readonly string[];
  /**
   * The log's origin to require (`plexus.mesh/<mesh>`, see defaultOrigin); the result's `originPinned` says whether
   * one was. Without it any origin passes (both notes of a consistency proof must still agree), reported as `origin`.
   */
  origin?: string;
}

export type ProofCheck =
  | {
      ok: true;
      kind: "inclusion" | "consistency";
      /** Whether the signer was pinned by the caller (else: the file's own claim of who signed). */
      pinned: boolean;
      signers: string[];
      /** The log the checkpoint is of. */
      origin: string;
      /** Whether the caller required that origin (options.origin). */
      originPinned: boolean;
      /** The checkpoint proven against (inclusion) or the newer one (consistency). */
      size: number;
      root: string;
      position?: number;
      fromSize?: number;
    }
  | { ok: false; reason: ProofFailure; detail: string };

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The most hashes any proof file may hold (an inclusion or consistency proof in a tree of up to 2^53 leaves). */
export const MAX_PROOF_HASHES = 2 * 53 + 2;
/** The largest proof file `plexus audit check-proof` reads (a proof carries one event of at most a few hundred KB). */
export const MAX_PROOF_FILE_BYTES = 4 * 1024 * 1024;

export function checkProof(file: unknown, options: CheckProofOptions = {}): ProofCheck {
  if (!isObj(file) || typeof file["format"] !== "string") return fail("malformed", "not a proof file");
  const f = file as unknown as ProofFile;
  // A proof of a log of up to 2^53 events has at most 2·53 hashes: anything longer is refused before any decoding.
  if (Array.isArray(f.hashes) && f.hashes.length > MAX_PROOF_HASHES)
    return fail("malformed", `more than ${MAX_PROOF_HASHES} proof hashes`);
  if (
    typeof f.signer !== "string" ||
    !Array.isArray(f.hashes) ||
    !f.hashes.every((h) => typeof h === "string" && B64.test(h))
  ) {
    return fail("malformed", "signer or hashes missing or not base64");
  }
  const pinned = options.signers !== undefined && options.signers.length > 0;
  const originPinned = options.origin !== undefined;
  const signers = pinned ? options.signers! : [f.signer];
  const hashes = f.hashes.map((h) => new Uint8Array(Buffer.from(h, "base64")));
  /** The opened note, or (having `ok: false`) why not. */
  const open = (note: unknown, which: string): { head: TreeHead; signers: string[] } | ProofCheck => {
    if (typeof note !== "string") return fail("malformed", `no ${which} checkpoint note`);
    const r = openCheckpointNote(note, signers, options.origin);
    if (r.ok) return { head: r.head, signers: r.signers };
    const the = which === "" ? "the checkpoint" : `the ${which} checkpoint`;
    if (r.reason === "malformed") return fail("malformed", `${the}: ${r.detail}`);
    if (r.reason === "origin") return fail("origin", r.detail.replace(/^the checkpoint/, the));
    return fail(
      "checkpoint_signature",
      `${the} is not signed by ${pinned ? "a pinned signer" : f.signer}: ${r.detail}`,
    );
  };
  if (f.format === INCLUSION_FORMAT) {
    const cp = open(f.checkpoint, "");
    if ("ok" in cp) return cp;
    if (!Number.isSafeInteger(f.position) || f.position < 1 || f.index !== f.position - 1 || f.size !== cp.head.size) {
      return fail(
        "malformed",
        `position ${f.position} / index ${f.index} / size ${f.size} do not fit the checkpoint of size ${cp.head.size}`,
      );
    }
    if (typeof f.subject !== "string" || typeof f.data !== "string" || !B64.test(f.data))
      return fail("malformed", "the event's subject or payload is missing");
    const ambiguous = ambiguousSubject(f.subject);
    if (ambiguous) return fail("ambiguous_subject", ambiguous);
    const leaf = leafHash(leafInput(f.subject, Buffer.from(f.data, "base64")));
    if (!verifyInclusion(leaf, f.index, cp.head.size, hashes, cp.head.root)) {
      return fail(
        "inclusion",
        `the event at position ${f.position} is not proven in the tree of ${cp.head.size} with root ${hex(cp.head.root)}`,
      );
    }
    return {
      ok: true,
      kind: "inclusion",
      pinned,
      signers: cp.signers,
      origin: cp.head.origin,
      originPinned,
      size: cp.head.size,
      root: hex(cp.head.root),
      position: f.position,
    };
  }
  if (f.format === CONSISTENCY_FORMAT) {
    const old = open(f.from, "older");
    if ("ok" in old) return old;
    const now = open(f.to, "newer");
    if ("ok" in now) return now;
    if (old.head.origin !== now.head.origin)
      return fail("origin", `the checkpoints are of two logs: ${old.head.origin} and ${now.head.origin}`);
    if (!verifyConsistency(old.head.size, now.head.size, hashes, old.head.root, now.head.root)) {
      return fail(
        "consistency",
        `the tree of ${old.head.size} (root ${hex(old.head.root)}) is not proven a prefix of the tree of ${now.head.size} (root ${hex(now.head.root)})`,
      );
    }
    return {
      ok: true,
      kind: "consistency",
      pinned,
      signers: now.signers,
      origin: now.head.origin,
      originPinned,
      size: now.head.size,
      root: hex(now.head.root),
      fromSize: old.head.size,
    };
  }
  return fail("malformed", `unknown proof format ${JSON.stringify(file["format"])}`);
}

/**
 * Why a subject cannot be told apart from its payload in the leaf input subject ‖ 0x00 ‖ payload, if it cannot: a NUL
 * in it (subject "a\0b" with payload P has the leaf of subject "a" with payload "b\0P"), or a lone surrogate (UTF-8
 * encodes it as U+FFFD, like the string holding U+FFFD). No mesh subject has either.
 */
export function ambiguousSubject(subject: string): string | undefined {
  if (subject.includes("\0"))
    return "the event's subject contains NUL: its leaf input (subject ‖ 0x00 ‖ payload) reads as another subject and payload";
  if (Buffer.from(subject, "utf8").toString("utf8") !== subject)
    return "the event's subject is not well-formed Unicode (a lone surrogate): its UTF-8 bytes are another subject's";
  return undefined;
}

function fail(reason: ProofFailure, detail: string): ProofCheck {
  return { ok: false, reason, detail };
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
