/**
 * What the mesh's service user may do: the rights registry nodes, audit sealers, A2A gateways and the CLI's operator
 * commands use, and nothing that changes or removes history. Creating, updating and deleting streams with their
 * settings is the admin user's (`<mesh>.admin.creds`), which only the one-shot provisioning step holds (plexus init /
 * the first step of plexus up), never a long-running node.
 *
 * What the services call, from a reading of their code (December 2026):
 * - publish on the mesh (registry events, the gateway's messages, the rotation record), the registry service subjects
 *   (requests and the responder), the audit subjects (chain links, checkpoints), reply inboxes (`_INBOX.>`), and the
 *   three KV buckets of the mesh (heartbeats: registry node and the gateway's own agent; A2A tasks: gateway; sealers:
 *   each sealer's presence record and the writer lease, read by plexus audit status and verify);
 * - JetStream: API info, stream info/names/list, get a stored message (direct or not: audit head and links,
 *   conversation evidence, KV gets), every consumer call (ordered consumers of the follower, sealer, verifier, ops
 *   readers, KV watches; the gateway's durables), acks and flow control;
 * - STREAM.CREATE of the mesh's streams (the topic stream too) and buckets only by name: a node on a mesh nobody provisioned yet creates
 *   them with the right settings, as before. Creating cannot change an existing stream: the server refuses a CREATE
 *   whose settings differ from the stream's ("stream name already in use with a different configuration"), and a
 *   stream cannot be replaced without DELETE, which is denied.
 * Denied on every stream, history or not: UPDATE, DELETE, PURGE, MSG.DELETE (and, by not being allowed, snapshot,
 * restore, leader step-down, peer removal). The deny list repeats the history verbs so that a future allow entry cannot
 * re-open them by accident: in NATS a deny wins over an allow.
 */
import { meshSubjects } from "@plexus/core";
import { historyStreams } from "../history/names.js";
import type { SubjectPermissions } from "./permissions.js";

const API = "$JS.API";

/** The A2A gateway's task bucket (protocols/a2a task-store.ts `taskBucketName`: the two must agree). */
export function a2aTaskBucket(mesh: string): string {
  return `PLEXUS_${mesh.toUpperCase()}_A2A_TASKS`;
}

/** The sealers' bucket: presence records and the writer lease (@plexus/audit node/presence.ts, node/lease.ts). */
export function sealerBucket(mesh: string): string {
  return `PLEXUS_${mesh.toUpperCase()}_SEALERS`;
}

/** The stream-changing JetStream calls no service may make, on any stream of the mesh. */
export const SERVICE_DENIED_STREAM_VERBS = [
  "STREAM.UPDATE",
  "STREAM.DELETE",
  "STREAM.PURGE",
  "STREAM.MSG.DELETE",
] as const;

/** The KV buckets of a mesh (heartbeats, A2A tasks, sealers). */
export function meshBuckets(mesh: string): string[] {
  return [meshSubjects(mesh).heartbeatBucket, a2aTaskBucket(mesh), sealerBucket(mesh)];
}

/**
 * Every stream Plexus makes for a mesh (KV buckets as their KV_ streams): the only ones the service user may create, so
 * the list is complete in operator mode; the mesh's replica setting applies to each (mesh-streams.ts).
 */
export function meshStreamNames(mesh: string): string[] {
  const s = meshSubjects(mesh);
  // The topic stream (registry-made topic durables, topic-stream.ts) is a copy, not history, but is created the same way.
  // The audit tree's tile stream (@plexus/audit jetstream-tiles.ts `tileStreamNames`: the two must agree) is derived data.
  return [
    ...historyStreams(mesh),
    `${s.stream}_AUDIT_TILES`,
    s.topicStream,
    ...meshBuckets(mesh).map((b) => `KV_${b}`),
  ];
}

export function servicePermissions(mesh: string): SubjectPermissions {
  const s = meshSubjects(mesh);
  const buckets = meshBuckets(mesh);
  const creatable = meshStreamNames(mesh);
  return {
    pub: {
      allow: [
        s.all,
        s.registryServiceAll,
        s.auditAll,
        "_INBOX.>",
        ...buckets.map((b) => `$KV.${b}.>`),
        `${API}.INFO`,
        `${API}.STREAM.INFO.*`,
        `${API}.STREAM.NAMES`,
        `${API}.STREAM.LIST`,
        ...creatable.map((name) => `${API}.STREAM.CREATE.${name}`),
        `${API}.STREAM.MSG.GET.*`,
        `${API}.DIRECT.GET.>`,
        `${API}.CONSUMER.>`,
        "$JS.ACK.>",
        "$JS.FC.>",
      ],
      deny: SERVICE_DENIED_STREAM_VERBS.map((verb) => `${API}.${verb}.>`),
    },
    sub: {
      allow: ["_INBOX.>", s.all, s.registryServiceAll],
      deny: [],
    },
  };
}
