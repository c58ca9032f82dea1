/**
 * The authenticated unseal request: a share holder (custodian) hands one share to a sealed node, signed with the
 * custodian's own Ed25519 key over the node's committed DID, a nonce the node handed out, and the share. The node
 * accepts it only from a configured custodian DID and only once per nonce, so a captured request cannot be replayed.
 */
import { canonicalBytes, ErrorCode, PlexusError } from "@plexus/core";
import { isDid, verifySignature, type KeyPair } from "@plexus/identity";
import { checkShare, type KeyShare } from "./share-format.js";

export const UNSEAL_REQUEST_DOMAIN = "plexus-unseal/v1";
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;

/** The body of POST /v1/unseal. */
export interface UnsealRequest {
  /** The custodian's did:key, whose key signed the request. */
  custodian: string;
  /** A nonce from the node's GET /v1/unseal/nonce. */
  nonce: string;
  share: KeyShare;
  /** base64url Ed25519 signature over `unsealSigningInput`. */
  signature: string;
}

/** What a custodian signs: the node's committed DID, the nonce, the custodian's DID and the share (canonical JSON). */
export function unsealSigningInput(o: { node: string; nonce: string; custodian: string; share: KeyShare }): Uint8Array {
  return canonicalBytes({
    domain: UNSEAL_REQUEST_DOMAIN,
    node: o.node,
    nonce: o.nonce,
    custodian: o.custodian,
    share: o.share,
  });
}

/** Signs an unseal request for the node committed to `node` (the registry's DID) with the custodian's key. */
export function signUnsealRequest(key: KeyPair, o: { node: string; nonce: string; share: KeyShare }): UnsealRequest {
  const unsigned = { node: o.node, nonce: o.nonce, custodian: key.did, share: o.share };
  return {
    custodian: key.did,
    nonce: o.nonce,
    share: o.share,
    signature: key.signBase64url(unsealSigningInput(unsigned)),
  };
}

/**
 * Checks an unseal request's shape (INVALID_ARGUMENT), its share (SHARE_INVALID) and its signature by the custodian
 * it names over `node` (UNSEAL_UNAUTHORIZED). Whether the custodian and the nonce are acceptable is the node's call.
 */
export function verifyUnsealRequest(body: unknown, node: string): UnsealRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalid("the unseal request must be a JSON object");
  const r = body as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !["custodian", "nonce", "share", "signature"].includes(k));
  if (extra.length > 0)
    throw invalid(
      `unknown field${extra.length > 1 ? "s" : ""} in the unseal request: ${extra.map((k) => JSON.stringify(k.slice(0, 40))).join(", ")}`,
    );
  const { custodian, nonce, signature } = r;
  if (typeof custodian !== "string" || !isDid(custodian)) throw invalid(`"custodian" must be the custodian's did:key`);
  if (typeof nonce !== "string" || !NONCE.test(nonce))
    throw invalid(`"nonce" must be a nonce from GET /v1/unseal/nonce`);
  if (typeof signature !== "string" || !SIGNATURE.test(signature))
    throw invalid(`"signature" must be a base64url Ed25519 signature`);
  const share = checkShare(r["share"], "the share in the unseal request");
  const data = unsealSigningInput({ node, nonce, custodian, share });
  if (!verifySignature(custodian, data, Buffer.from(signature, "base64url"))) {
    throw new PlexusError(
      ErrorCode.UnsealUnauthorized,
      `the unseal request's signature is not ${custodian}'s over this node (${node}), this nonce and this share`,
      {
        details: { custodian },
      },
    );
  }
  return { custodian, nonce, share, signature };
}

function invalid(message: string): PlexusError {
  return new PlexusError(ErrorCode.InvalidArgument, message);
}
