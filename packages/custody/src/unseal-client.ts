/**
 * Giving one share to a sealed registry node over HTTP: fetch a fresh nonce, sign the request with the custodian's
 * key, POST it. The node's refusals come back as PlexusErrors with the node's stable code.
 */
import { ErrorCode, PlexusError } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { KeyShare } from "./share-format.js";
import { signUnsealRequest } from "./unseal-request.js";

/** What a sealed node answers to a share it accepted. */
export interface UnsealProgress {
  /** false once the shares restored the committed key (the node is then starting unsealed). */
  sealed: boolean;
  did: string;
  threshold: number;
  /** Shares held so far (0 again once unsealed). */
  received: number;
  /** The index of the share just accepted. */
  index: number;
}

export interface SendUnsealOptions {
  /** The node's HTTP base URL, such as http://127.0.0.1:7420. */
  url: string;
  share: KeyShare;
  /** The custodian's key (one of the node's --custodian DIDs). */
  key: KeyPair;
  timeoutMs?: number;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

export async function sendUnsealShare(o: SendUnsealOptions): Promise<UnsealProgress> {
  const base = o.url.replace(/\/+$/, "");
  const signal = AbortSignal.timeout(o.timeoutMs ?? 10_000);
  const nonce = await call<{ nonce: string; did: string }>(`${base}/v1/unseal/nonce`, { signal });
  if (nonce.did !== o.share.commitment.did) {
    throw new PlexusError(
      ErrorCode.ShareCommitmentMismatch,
      `the node at ${base} is sealed for ${nonce.did}, but this share is of ${o.share.commitment.did}`,
      {
        details: { node: nonce.did, share: o.share.commitment.did },
      },
    );
  }
  const body = signUnsealRequest(o.key, { node: nonce.did, nonce: nonce.nonce, share: o.share });
  return call<UnsealProgress>(`${base}/v1/unseal`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new PlexusError(ErrorCode.RegistryUnavailable, `cannot reach ${url}: ${(err as Error).message}`, {
      cause: err,
      details: { url },
    });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PlexusError(
      ErrorCode.RegistryUnavailable,
      `${url} answered ${res.status} with something that is not JSON (not a sealed Plexus registry node?)`,
      {
        details: { url, status: res.status },
      },
    );
  }
  if (res.ok) return json as T;
  const error = (json as { error?: { code?: unknown; message?: unknown } }).error;
  const code = typeof error?.code === "string" ? error.code : "UNKNOWN";
  const message = typeof error?.message === "string" ? error.message : `HTTP ${res.status}`;
  const known = KNOWN_CODES.has(code) ? (code as ErrorCode) : ErrorCode.RequestRefused;
  throw new PlexusError(known, KNOWN_CODES.has(code) ? message : `${message} (${code})`, {
    details: { url, status: res.status, code },
  });
}
