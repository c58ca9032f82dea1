/**
 * Names for consumers nobody needs to find again, that nobody else may guess. Agents may pull from and ack on any
 * consumer of the mesh stream whose name they know (NATS cannot tie a consumer name to a user; see @plexus/bus
 * permissions.ts), so every consumer the system creates has a secret or random name. nats.js names ordered consumers
 * `<prefix>_<n>` with a default prefix from the process's nuid, whose values also show in the reply subjects of what
 * the process publishes (readable by anyone subscribed to a topic): every ordered consumer takes `name_prefix:
 * orderedConsumerPrefix()` instead.
 */
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** `<prefix>_` and 26 base32 characters of 130 random bits. */
export function randomConsumerName(prefix: string): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(26));
  let out = `${prefix}_`;
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

/** The `name_prefix` of an ordered consumer. */
export function orderedConsumerPrefix(): string {
  return randomConsumerName("oc");
}
