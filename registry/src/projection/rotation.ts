import {
  REGISTRY_ROTATION_NONCE,
  rotationProblem,
  rotationProofProblem,
  type RegistryEvent,
} from "@plexus/anp/internal";
import { MAX_KEY_ROTATIONS } from "./identity-state.js";
import type { RegistryState } from "./registry-state.js";

/**
 * Applies an agent's key rotation: its record, card, reputation evidence (about it and given by it), credentials and
 * trust anchor (role agent) move to the new DID. The old DID is then unknown as an agent, and what the old key signs
 * after this log position counts nowhere (IdentityState.rotatedBefore: credentials it issues, messages it sends).
 * A rotation the agent marked compromised also revokes every credential the old key issued before it.
 * The registry checked the request before appending; the checks are repeated so a replay reaches the same state.
 */
export function applyKeyRotated(state: RegistryState, event: RegistryEvent<"KeyRotated">, seq: number): void {
  const from = event.agent;
  const { to, request } = event.data;
  const record = state.agents.get(from);
  const problem =
    request.did !== from || request.body.newDid !== to
      ? "the request does not name these keys"
      : (rotationProblem(from, request.body, request.challenge) ??
        (state.agents.has(to) || state.ledger.idOf(to) !== undefined || state.identity.rotatedTo.has(to)
          ? "the new key is already known"
          : state.identity.lineage(from).length > MAX_KEY_ROTATIONS
            ? "too many rotations"
            : undefined));
  if (!record || problem !== undefined || state.identity.suspended.has(from)) {
    state.count("ignored.rotation");
    return;
  }
  state.agents.delete(from);
  record.did = to;
  state.agents.set(to, record);
  state.cards.remove(from);
  if (record.present) state.cards.upsert(to, record.card, record.firstJoinSeq);
  state.ledger.rename(from, to);
  state.credentials.moveSubject(from, to);
  // An anchored agent stays pre-trusted under its new key.
  state.trust.rename(from, to);
  const compromised = request.body.compromised === true;
  state.identity.rotate(from, { to, seq, at: event.at, compromised });
  if (compromised) {
    const revoked = state.credentials.revokeIssuedBy(from, {
      revokedBy: from,
      reason: `the issuer's key was compromised (rotated to ${to})`,
      at: event.at,
      seq,
    });
    state.count("revocations.compromisedKey", revoked);
  }
  state.count("rotations");
}

/** Applies a registry key rotation (already checked to be signed by a trusted, unretired registry key). */
export function applyRegistryKeyRotated(
  state: RegistryState,
  event: RegistryEvent<"RegistryKeyRotated">,
  seq: number,
): void {
  const from = event.by;
  const { to, proof } = event.data;
  const problem =
    event.agent !== from
      ? "the event is not about its signer"
      : rotationProofProblem(from, to, proof, REGISTRY_ROTATION_NONCE);
  if (problem !== undefined) {
    state.count("ignored.registryRotation");
    return;
  }
  state.identity.registryKeys.add(to);
  state.identity.retiredRegistryKeys.set(from, seq);
  state.count("registryRotations");
}
