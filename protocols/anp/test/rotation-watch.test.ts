import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import {
  encodeEvent,
  makeEvent,
  makeRotation,
  signRequest,
  type Rotation,
  type SignedRequest,
} from "../src/internal.js";
import { provenAgentRotation } from "../src/rotation-watch.js";

/**
 * What an agent's reader believes about key rotations comes from events anyone may publish on an open server, so a
 * KeyRotated event counts only when a registry key the reader trusts signed it and the old key itself signed the
 * request inside (the new key proving it).
 */
const MESH = "watch";

function rotationEvent(
  oldKey: KeyPair,
  newKey: KeyPair,
  options: { signer?: KeyPair; mesh?: string; to?: string; agent?: string } = {},
): Uint8Array {
  const challenge = "challenge-from-the-registry";
  const body = makeRotation(oldKey, newKey, challenge);
  const signed = signRequest(
    options.signer ?? oldKey,
    "rotate",
    options.mesh ?? MESH,
    challenge,
    body,
  ) as SignedRequest<Rotation>;
  // A request signed by another key but naming the old DID: what a forger would publish.
  const request = options.signer ? { ...signed, did: oldKey.did } : signed;
  return encodeEvent(
    makeEvent(generateKeyPair(), "KeyRotated", options.agent ?? oldKey.did, { to: options.to ?? newKey.did, request }),
  );
}

describe("provenAgentRotation", () => {
  it("takes a rotation the old key signed and the new key proved, whoever signed the event", () => {
    const [oldKey, newKey] = [generateKeyPair(), generateKeyPair()];
    expect(provenAgentRotation(rotationEvent(oldKey, newKey), MESH)).toMatchObject({
      from: oldKey.did,
      to: newKey.did,
    });
  });

  it("takes it only from an event signer the reader accepts (its registry), asked before any signature is checked", () => {
    const [oldKey, newKey] = [generateKeyPair(), generateKeyPair()];
    const bytes = rotationEvent(oldKey, newKey);
    const signers: string[] = [];
    expect(
      provenAgentRotation(bytes, MESH, (by) => {
        signers.push(by);
        return false;
      }),
    ).toBeUndefined();
    expect(signers).toHaveLength(1);
    expect(provenAgentRotation(bytes, MESH, (by) => by === signers[0])).toMatchObject({
      from: oldKey.did,
      by: signers[0],
    });
  });

  it("ignores forgeries: another signer, another mesh, another target, another agent", () => {
    const [oldKey, newKey, other] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    expect(provenAgentRotation(rotationEvent(oldKey, newKey, { signer: other }), MESH)).toBeUndefined();
    expect(provenAgentRotation(rotationEvent(oldKey, newKey, { mesh: "elsewhere" }), MESH)).toBeUndefined();
    expect(provenAgentRotation(rotationEvent(oldKey, newKey, { to: other.did }), MESH)).toBeUndefined();
    expect(provenAgentRotation(rotationEvent(oldKey, newKey, { agent: other.did }), MESH)).toBeUndefined();
    expect(provenAgentRotation(new TextEncoder().encode("{not json"), MESH)).toBeUndefined();
  });

  it("no change of a proven event's bytes makes it cut off anyone but the old key, or name another successor", () => {
    const [oldKey, newKey] = [generateKeyPair(), generateKeyPair()];
    const bytes = rotationEvent(oldKey, newKey);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const changed = Uint8Array.from(bytes);
        changed[at] = (changed[at]! ^ flip) & 0xff;
        const seen = provenAgentRotation(changed, MESH);
        return seen === undefined || (seen.from === oldKey.did && seen.to === newKey.did);
      }),
      { numRuns: 2_000 },
    );
  });
});
