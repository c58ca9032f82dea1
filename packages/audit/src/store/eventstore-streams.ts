/**
 * What every EventStoreDB stream of the audit store shares (the chain, the checkpoints, the tree's tiles): the ACL
 * that leaves delete and metadata writes to `$admins`, set where a stream has none yet, and the mapping of client
 * errors to AUDIT_STORE_FAILED.
 *
 * EventStoreDB has no per-stream "deny delete": the ACL is the protection, effective on a secure server (an insecure
 * one ignores ACLs). Metadata can be set before a stream's first event, and does not count as one: an append expecting
 * NO_STREAM still succeeds after it, so a stream is protected before anything is written to it.
 */
import type { EventStoreDBClient, StreamMetadata } from "@eventstore/db-client";
import { ErrorCode, PlexusError } from "@plexus/core";

export const ADMIN_ONLY = { acl: { deleteRoles: ["$admins"], metaWriteRoles: ["$admins"] } } satisfies StreamMetadata;

/**
 * Sets `metadata` (the admin-only ACL, and whatever else the stream needs) on `stream` when it has no ACL yet. Two
 * writers may race to set it: the loser's write is refused once the winner's ACL keeps metadata writes for `$admins`,
 * and that is fine when the stream has an ACL now.
 */
export async function protectStream(
  client: EventStoreDBClient,
  stream: string,
  metadata: StreamMetadata = ADMIN_ONLY,
): Promise<void> {
  const current = await client.getStreamMetadata(stream);
  if (current.metadata?.acl) return;
  try {
    await client.setStreamMetadata(stream, metadata);
  } catch (err) {
    if (!(await client.getStreamMetadata(stream)).metadata?.acl) throw err;
  }
}

/** A client error as AUDIT_STORE_FAILED naming what failed (a PlexusError passes as it is). */
export function esError(message: string, cause: unknown): PlexusError {
  if (cause instanceof PlexusError) return cause;
  return new PlexusError(ErrorCode.AuditStoreFailed, `${message}: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
  });
}
