/**
 * What a NATS user may publish and subscribe to, per role. NATS checks these on every message, so an agent cannot
 * publish as another agent or read another agent's inbox, replies or receipts whatever its code does.
 *
 * Message subjects end with the publisher's token (see @plexus/core subjects.ts), so "publish only as myself" is one
 * wildcard per family. Reading goes through JetStream: a consumer is created with `$JS.API.CONSUMER.CREATE.<stream>.
 * <name>.<filter>`, and the server refuses a request whose body filter differs from the one in the subject, so
 * permissions on that subject pin what a consumer may read.
 *
 * Who owns a consumer. NATS cannot tie a consumer name to a user: the create subject's name is one token (a `*` in a
 * permission matches any name), create and update are the same subject (the choice is in the body), and pulls and
 * acks name the consumer only. Two rules follow:
 * - On the mesh stream an agent creates consumers on its own filters only (what is addressed to it, what it sent, its
 *   own records), and every consumer there has a secret name: an agent's durables are derived from its seed (see
 *   @plexus/acp consumers.ts), ordered and short-lived consumers get random names, the services' own from their keys.
 *   Anyone who knew such a name could pull from it, or update it through a create on one of its own filters; nobody
 *   else can learn it: consumer LIST/NAMES and the advisories are denied, DELETE is denied to agents altogether.
 * - Topic durables (solo and queue groups) live on the topic stream (`topicStream`), where agents may not create,
 *   update or delete anything, only read info, pull and ack. The registry creates them on a member's signed request,
 *   under names derived from the mesh account's key, and tells the name only to the agent that asked (a group's to
 *   each agent that asks to join it). So a member who knows its group's durable can take its share of the work and
 *   nothing else: no agent can re-tune, move, pause or delete it.
 */
import { agentToken, MessageKind, meshSubjects } from "@plexus/core";

export interface SubjectPermissions {
  pub: { allow: string[]; deny: string[] };
  sub: { allow: string[]; deny: string[] };
}

const API = "$JS.API";

/** The reply-inbox prefix of an agent's connection (nats.js `inboxPrefix`): only it may subscribe below it. */
export function agentInboxPrefix(did: string): string {
  return `_INBOX.${agentToken(did)}`;
}

/** The reply-inbox prefix of the shared bootstrap user (before an agent has its own user JWT). */
export const BOOTSTRAP_INBOX_PREFIX = "_INBOX.bootstrap";

/** The registry operations a bootstrap user may call: get a challenge, and trade a signed request for a user JWT. */
export const BOOTSTRAP_OPS = ["challenge", "connect"] as const;

/** JetStream API calls no agent may make: they read any message, or reveal consumer names, or skip the filter pin. */
export function deniedApi(stream: string): string[] {
  return [
    `${API}.STREAM.MSG.GET.>`,
    `${API}.DIRECT.GET.>`,
    `${API}.CONSUMER.LIST.>`,
    `${API}.CONSUMER.NAMES.>`,
    // No agent deletes a consumer: its own ordered consumers clean up by themselves (the server removes them after
    // 5 minutes without a pull), and the others are not its own.
    `${API}.CONSUMER.DELETE.>`,
    // The legacy creates carry no filter in the subject.
    `${API}.CONSUMER.DURABLE.CREATE.>`,
    `${API}.CONSUMER.CREATE.${stream}`,
    `${API}.CONSUMER.CREATE.${stream}.*`,
    `${API}.STREAM.CREATE.>`,
    `${API}.STREAM.UPDATE.>`,
    `${API}.STREAM.DELETE.>`,
    `${API}.STREAM.PURGE.>`,
    `${API}.STREAM.MSG.DELETE.>`,
  ];
}

/**
 * The filters an agent's consumers on the mesh stream may use: what is addressed to it, what it sent itself, its own
 * records. Not the topics: topic durables are the registry's to create, on the topic stream (see the header).
 */
export function readableFilters(mesh: string, did: string): string[] {
  const s = meshSubjects(mesh);
  const me = agentToken(did);
  return [
    s.filter(MessageKind.Inbox, me),
    s.filter(MessageKind.Receipt, me),
    s.filter(MessageKind.Reply, me),
    s.sentBy(me),
    s.opsBy(me),
  ];
}

/**
 * An agent's permissions in a mesh. Publish: its own messages and ops records, registry requests, its own heartbeat,
 * and the JetStream calls its SDK makes (consumers on the mesh stream filtered on `readableFilters` or the KeyRotated
 * registry events only; info, pull
 * and ack on the topic stream's durables, never create). Subscribe: its own reply inboxes and live topics.
 */
export function agentPermissions(mesh: string, did: string): SubjectPermissions {
  const s = meshSubjects(mesh);
  const me = agentToken(did);
  const stream = s.stream;
  const kvStream = `KV_${s.heartbeatBucket}`;
  return {
    pub: {
      allow: [
        s.sentBy(me),
        s.opsBy(me),
        // Its own reply-inbox prefix: the one-process-per-key claim (@plexus/sdk key-claim.ts) is asked and answered there.
        `${agentInboxPrefix(did)}.>`,
        s.registryService("*"),
        `$KV.${s.heartbeatBucket}.${me}`,
        `${API}.INFO`,
        `${API}.STREAM.INFO.${stream}`,
        `${API}.STREAM.INFO.${kvStream}`,
        ...readableFilters(mesh, did).map((f) => `${API}.CONSUMER.CREATE.${stream}.*.${f}`),
        // Key rotations, agents' and the registry's (public: the registry's queries tell them too), so its reader refuses
        // what a rotated-away key signs later (@plexus/anp RotationWatch).
        `${API}.CONSUMER.CREATE.${stream}.*.${s.registryEvent("KeyRotated", "*")}`,
        `${API}.CONSUMER.CREATE.${stream}.*.${s.registryEvent("RegistryKeyRotated", "*")}`,
        `${API}.CONSUMER.INFO.${stream}.*`,
        `${API}.CONSUMER.MSG.NEXT.${stream}.*`,
        `$JS.ACK.${stream}.>`,
        `${API}.CONSUMER.INFO.${s.topicStream}.*`,
        `${API}.CONSUMER.MSG.NEXT.${s.topicStream}.*`,
        `$JS.ACK.${s.topicStream}.>`,
      ],
      deny: deniedApi(stream),
    },
    sub: {
      allow: [`${agentInboxPrefix(did)}.>`, s.kindAll(MessageKind.Topic)],
      // Advisories name consumers (and carry API requests): never for agents.
      deny: ["$JS.EVENT.>"],
    },
  };
}

/** The shared bootstrap user: asks the registry for a challenge and for its own user JWT, nothing else. */
export function bootstrapPermissions(mesh: string): SubjectPermissions {
  const s = meshSubjects(mesh);
  return {
    pub: { allow: BOOTSTRAP_OPS.map((op) => s.registryService(op)), deny: [] },
    sub: { allow: [`${BOOTSTRAP_INBOX_PREFIX}.>`], deny: [] },
  };
}
