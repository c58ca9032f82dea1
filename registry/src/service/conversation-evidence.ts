import type { JetStreamManager } from "@nats-io/jetstream";
import { parseJson, validateEnvelope, type Envelope, type MeshSubjects } from "@plexus/core";
import { verifyEnvelope } from "@plexus/identity";

/**
 * Before a rating is recorded, the two messages it relies on (one rater → ratee, one ratee → rater, in the rated
 * conversation) are read back from the log and their signatures checked, so a rating cannot rest on messages
 * someone forged into the log. Returns why the evidence fails, or undefined when it holds.
 */
export async function verifyConversationEvidence(
  jsm: JetStreamManager,
  subjects: MeshSubjects,
  conversation: string,
  rater: string,
  ratee: string,
  seqs: { fromA: number; fromB: number },
): Promise<string | undefined> {
  for (const [seq, from, to] of [
    [seqs.fromA, rater, ratee],
    [seqs.fromB, ratee, rater],
  ] as const) {
    const stored = await jsm.streams.getMessage(subjects.stream, { seq });
    if (!stored) return `log position ${seq} is missing`;
    const read = parseJson(stored.data);
    if (!read.ok) return `log position ${seq} is refused (${read.reason}): ${read.detail}`;
    const env = read.value;
    if (!validateEnvelope(env)) return `log position ${seq} is not a valid envelope`;
    const e = env as Envelope;
    if (e.from !== from || e.to !== to || e.conversation !== conversation)
      return `log position ${seq} is not a message ${from} → ${to} in the conversation`;
    if (!verifyEnvelope(e).ok) return `the message at log position ${seq} has a bad signature`;
  }
  return undefined;
}
