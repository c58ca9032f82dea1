import { ErrorCode, PlexusError } from "./errors.js";

/**
 * Subject names. Everything lives under `plexus.<mesh>.`, so several meshes share one NATS cluster.
 * Message subjects end with the publisher's agent token, so NATS permissions can pin an agent to its own
 * identity (`plexus.<mesh>.acp.*.*.<me>`) and to its own inbox (`plexus.<mesh>.acp.inbox.<me>.*`).
 *
 *   plexus.<mesh>.acp.inbox.<to>.<from>      direct message
 *   plexus.<mesh>.acp.reply.<to>.<from>      reply to a request
 *   plexus.<mesh>.acp.receipt.<to>.<from>    signed receipt for direct messages
 *   plexus.<mesh>.acp.topic.<topic>.<from>   topic message (fan-out, queue groups)
 *   plexus.<mesh>.ops.rejected.<by>          rejection record kept by the consumer that refused a message
 *   plexus.<mesh>.ops.dead.<by>              dead letter kept by the consumer whose handler kept failing
 *   plexus.<mesh>.registry.<Type>.<agent>    registry event about an agent, signed by the registry
 *
 * Outside the mesh stream (never stored):
 *   plexus-registry.<mesh>.<op>              registry service requests (join, discover, …), one queue group
 *   plexus-audit.<mesh>.…                    the audit chain, checkpoints and tiles (their own streams)
 *   KV bucket PLEXUS_<MESH>_HEARTBEATS       the latest heartbeat per agent (key: agent token)
 *
 * Streams: PLEXUS_<MESH> (the log, every subject above under plexus.<mesh>.) and, in NATS operator mode,
 * TOPICS_PLEXUS_<MESH>: a copy of the topic messages (sourced from the log, kept until consumed) that holds the topic
 * durables the registry creates for agents, which agents may pull from and ack on but never create, change or delete.
 */
export const MessageKind = {
  Inbox: "inbox",
  Reply: "reply",
  Receipt: "receipt",
  Topic: "topic",
} as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

const MESH_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const TOKEN_PATTERN = /^z[1-9A-HJ-NP-Za-km-z]{40,60}$/;
const TOPIC_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function assertMeshId(mesh: string): string {
  if (!MESH_PATTERN.test(mesh)) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `invalid mesh id "${mesh}": use 1-32 of a-z 0-9 _ -, starting with a letter or digit`,
    );
  }
  return mesh;
}

export function assertTopic(topic: string): string {
  if (!TOPIC_PATTERN.test(topic)) {
    throw new PlexusError(ErrorCode.InvalidArgument, `invalid topic "${topic}": use 1-128 of A-Z a-z 0-9 _ -`);
  }
  return topic;
}

export function assertName(kind: string, name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new PlexusError(ErrorCode.InvalidArgument, `invalid ${kind} "${name}": use 1-64 of A-Z a-z 0-9 _ -`);
  }
  return name;
}

/** The subject token of a did:key: its method-specific id (`z6Mk…`). */
export function agentToken(did: string): string {
  const token = did.startsWith("did:key:") ? did.slice(8) : "";
  if (!TOKEN_PATTERN.test(token)) {
    throw new PlexusError(ErrorCode.InvalidDid, `not a did:key: "${did.slice(0, 80)}"`);
  }
  return token;
}

export function didOfToken(token: string): string {
  return `did:key:${token}`;
}

export interface ParsedSubject {
  kind: MessageKind;
  target: string;
  from: string;
}

export interface MeshSubjects {
  readonly mesh: string;
  readonly stream: string;
  /** The stream of registry-made topic durables (operator mode): topic messages sourced from `stream`. */
  readonly topicStream: string;
  readonly all: string;
  message(kind: MessageKind, target: string, fromToken: string): string;
  /** All messages of a kind addressed to a target (an agent token or a topic). */
  filter(kind: MessageKind, target: string): string;
  /** All messages of a kind, whatever their target and sender (`plexus.<mesh>.acp.<kind>.>`). */
  kindAll(kind: MessageKind): string;
  /** Every message an agent sent, of any kind and to any target (`plexus.<mesh>.acp.*.*.<from>`). */
  sentBy(fromToken: string): string;
  /** Every ops record an agent kept, rejections and dead letters (`plexus.<mesh>.ops.*.<by>`). */
  opsBy(byToken: string): string;
  rejected(byToken: string): string;
  readonly rejectedAll: string;
  dead(byToken: string): string;
  readonly deadAll: string;
  parse(subject: string): ParsedSubject | undefined;
  registryEvent(type: string, agentToken: string): string;
  readonly registryEventsAll: string;
  /** Request subject of a registry service operation (not captured by the mesh stream). */
  registryService(op: string): string;
  readonly registryServiceAll: string;
  readonly heartbeatBucket: string;
  /** Every subject of the mesh's audit streams (`plexus-audit.<mesh>.>`). */
  readonly auditAll: string;
}

export function meshSubjects(mesh: string): MeshSubjects {
  assertMeshId(mesh);
  const prefix = `plexus.${mesh}`;
  const kinds = new Set<string>(Object.values(MessageKind));
  return {
    mesh,
    stream: `PLEXUS_${mesh.toUpperCase()}`,
    topicStream: `TOPICS_PLEXUS_${mesh.toUpperCase()}`,
    all: `${prefix}.>`,
    message: (kind, target, fromToken) => `${prefix}.acp.${kind}.${target}.${fromToken}`,
    filter: (kind, target) => `${prefix}.acp.${kind}.${target}.*`,
    kindAll: (kind) => `${prefix}.acp.${kind}.>`,
    sentBy: (fromToken) => `${prefix}.acp.*.*.${fromToken}`,
    opsBy: (byToken) => `${prefix}.ops.*.${byToken}`,
    rejected: (byToken) => `${prefix}.ops.rejected.${byToken}`,
    rejectedAll: `${prefix}.ops.rejected.*`,
    dead: (byToken) => `${prefix}.ops.dead.${byToken}`,
    deadAll: `${prefix}.ops.dead.*`,
    registryEvent: (type, agentToken) => `${prefix}.registry.${type}.${agentToken}`,
    registryEventsAll: `${prefix}.registry.>`,
    registryService: (op) => `plexus-registry.${mesh}.${op}`,
    registryServiceAll: `plexus-registry.${mesh}.>`,
    heartbeatBucket: `PLEXUS_${mesh.toUpperCase()}_HEARTBEATS`,
    auditAll: `plexus-audit.${mesh}.>`,
    parse(subject) {
      const parts = subject.split(".");
      if (parts.length !== 6 || parts[0] !== "plexus" || parts[1] !== mesh || parts[2] !== "acp") return undefined;
      const [, , , kind, target, from] = parts as [string, string, string, string, string, string];
      if (!kinds.has(kind)) return undefined;
      return { kind: kind as MessageKind, target, from };
    },
  };
}
