/**
 * The shares a sealed registry node has collected, and the rules for taking one: from a file the operator gave
 * (trusted) or from an HTTP request signed by a custodian over a fresh single-use nonce. Once k shares of one
 * split are held they are combined; a result that is not the committed key clears every share and stays sealed.
 */
import { randomBytes } from "node:crypto";
import { checkShareSet, restoreKeyPair, verifyUnsealRequest, type KeyShare } from "@plexus/custody";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";

export const DEFAULT_UNSEAL_NONCE_TTL_MS = 120_000;
const MAX_NONCES = 1024;

export interface UnsealSessionOptions {
  /** The DID the shares must restore (the commitment). */
  did: string;
  /** DIDs whose signed requests may give a share over HTTP. */
  custodians: readonly string[];
  nonceTtlMs?: number;
}

/** What GET /v1/status answers while sealed. */
export interface SealedStatus {
  sealed: true;
  /** The committed DID: the key the shares must restore. */
  did: string;
  /** k and n of the split being collected (null until the first share arrives). */
  threshold: number | null;
  total: number | null;
  splitId: string | null;
  received: number;
  custodians: number;
  /** True between the k-th share and the node serving unsealed. */
  unsealing: boolean;
  ready: false;
}

/** A share taken: its index, and the restored key once it completed the set. */
export interface ShareTaken {
  index: number;
  received: number;
  threshold: number;
  keyPair?: KeyPair;
}

export class UnsealSession {
  readonly did: string;
  readonly #custodians: ReadonlySet<string>;
  readonly #nonceTtlMs: number;
  readonly #nonces = new Map<string, number>();
  #held: { share: KeyShare; from: string | undefined }[] = [];

  constructor(o: UnsealSessionOptions) {
    this.did = o.did;
    this.#custodians = new Set(o.custodians);
    this.#nonceTtlMs = o.nonceTtlMs ?? DEFAULT_UNSEAL_NONCE_TTL_MS;
  }

  get custodians(): number {
    return this.#custodians.size;
  }

  status(unsealing: boolean): SealedStatus {
    const first = this.#held[0]?.share;
    return {
      sealed: true,
      did: this.did,
      threshold: first?.threshold ?? null,
      total: first?.total ?? null,
      splitId: first?.splitId ?? null,
      received: this.#held.length,
      custodians: this.#custodians.size,
      unsealing,
      ready: false,
    };
  }

  /** A fresh single-use nonce for one unseal request (the oldest are dropped beyond 1024 outstanding). */
  issueNonce(now = Date.now()): { nonce: string; expiresAt: number } {
    for (const [old, expiresAt] of this.#nonces) if (expiresAt <= now) this.#nonces.delete(old);
    while (this.#nonces.size >= MAX_NONCES) this.#nonces.delete(this.#nonces.keys().next().value as string);
    const nonce = randomBytes(24).toString("base64url");
    const expiresAt = now + this.#nonceTtlMs;
    this.#nonces.set(nonce, expiresAt);
    return { nonce, expiresAt };
  }

  /** Takes a share from a signed HTTP request (POST /v1/unseal's body). The nonce is used up whatever happens. */
  accept(body: unknown, now = Date.now()): ShareTaken {
    const nonce = typeof body === "object" && body !== null ? (body as { nonce?: unknown }).nonce : undefined;
    const expiresAt = typeof nonce === "string" ? this.#nonces.get(nonce) : undefined;
    if (typeof nonce === "string") this.#nonces.delete(nonce);
    const request = verifyUnsealRequest(body, this.did);
    if (!this.#custodians.has(request.custodian)) {
      throw new PlexusError(
        ErrorCode.UnsealUnauthorized,
        `${request.custodian} is not a custodian of this node; only its --custodian DIDs may unseal it`,
        {
          details: { custodian: request.custodian },
        },
      );
    }
    if (expiresAt === undefined || expiresAt <= now) {
      throw new PlexusError(
        ErrorCode.UnsealNonceInvalid,
        "the nonce is unknown, expired or already used (a replayed request?); get a fresh one from GET /v1/unseal/nonce",
        {
          details: { custodian: request.custodian },
        },
      );
    }
    const earlier = this.#held.find((h) => h.from === request.custodian);
    if (earlier) {
      throw new PlexusError(
        ErrorCode.ShareDuplicate,
        `custodian ${request.custodian} already gave share #${earlier.share.index}; each custodian gives one share`,
        {
          details: { custodian: request.custodian, index: earlier.share.index },
        },
      );
    }
    return this.add(request.share, request.custodian);
  }

  /** Takes a share (from a file, or an accepted request). Throws without keeping it when it does not fit the set. */
  add(share: KeyShare, from?: string): ShareTaken {
    if (share.commitment.did !== this.did) {
      throw new PlexusError(
        ErrorCode.ShareCommitmentMismatch,
        `share #${share.index} is a share of ${share.commitment.did}, but this node is sealed for ${this.did}`,
        {
          details: { did: share.commitment.did, expected: this.did },
        },
      );
    }
    const shares = [...this.#held.map((h) => h.share), share];
    try {
      checkShareSet(shares);
    } catch (err) {
      if (err instanceof PlexusError && err.code === ErrorCode.ShareSplitMismatch) {
        throw new PlexusError(
          err.code,
          `${err.message}; this node holds ${this.#held.length} share(s) of split ${this.#held[0]?.share.splitId} (restart it to start over)`,
          { cause: err },
        );
      }
      throw err;
    }
    this.#held.push({ share, from });
    const taken = { index: share.index, received: this.#held.length, threshold: share.threshold };
    if (this.#held.length < share.threshold) return taken;
    try {
      return { ...taken, keyPair: restoreKeyPair(shares).keyPair };
    } finally {
      this.clear(); // used or refused: either way no share stays in memory
    }
  }

  /** Forgets every share held. */
  clear(): void {
    this.#held = [];
  }
}
