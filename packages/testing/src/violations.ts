/**
 * The permission violations a NATS server reports on a connection, as "publish <subject>" / "subscription <subject>":
 * how permission tests see what the server refused (a refused publish is not an error at the publisher's call).
 */
import { PermissionViolationError, type NatsConnection } from "@nats-io/transport-node";

/** Starts collecting at once; the returned array grows as the server reports more. */
export function permissionViolations(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "error" && s.error instanceof PermissionViolationError)
        seen.push(`${s.error.operation} ${s.error.subject}`);
    }
  })();
  return seen;
}
