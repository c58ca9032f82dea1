/**
 * What a failed JetStream call means, in words that name what failed. The NATS client reports a request nobody
 * answered as "jetstream is not enabled" (JetStreamNotEnabled around a 503 "no responders"): on a cluster that is what
 * a stream or bucket without a leader looks like (its server down, the cluster without quorum), and agents' heartbeat
 * errors said exactly that during an outage (issue 14), sending people to check a setting that was fine. This maps the
 * client's errors to PlexusErrors by class (never by message text alone): JETSTREAM_UNAVAILABLE for no leader, no
 * meta leader or no answer in time; NATS_UNAVAILABLE for a dropped connection; REQUEST_REFUSED for a permission.
 */
import { ErrorCode, PlexusError, isPlexusError } from "@plexus/core";

/** JetStream's own "cluster not available" answers (JSClusterNotAvailErr 10008, JSClusterNoPeersErr 10005, …). */
const NO_CLUSTER_CODES = new Set([10_005, 10_008, 10_074]);

type Described = { name?: string; code?: unknown; status?: unknown; cause?: unknown; message?: string };

function causes(err: unknown): Described[] {
  const out: Described[] = [];
  for (let e = err as Described | undefined; e && typeof e === "object" && out.length < 5; e = e.cause as Described)
    out.push(e);
  return out;
}

/** JetStream switched off for the account (JSNotEnabledForAccountErr): a setting, not an outage. */
const NOT_ENABLED_FOR_ACCOUNT = 10_039;

/** Whether the error says that JetStream (not NATS) did not answer: no leader, no quorum, no responders, timeout. */
export function isJetStreamUnavailable(err: unknown): boolean {
  if (isPlexusError(err, ErrorCode.JetStreamUnavailable)) return true;
  const chain = causes(err);
  if (chain.some((e) => e.name === "JetStreamApiError" && e.code === NOT_ENABLED_FOR_ACCOUNT)) return false;
  return chain.some(
    (e) =>
      e.name === "JetStreamNotEnabled" ||
      e.name === "NoResponders" ||
      e.name === "TimeoutError" ||
      (e.name === "RequestError" && /no responders/i.test(e.message ?? "")) ||
      (e.name === "JetStreamApiError" && (e.status === 503 || NO_CLUSTER_CODES.has(e.code as number))),
  );
}

/** A short reason for an unavailable JetStream, in the server's words where it gave some. */
export function unavailableReason(err: unknown): string {
  const chain = causes(err);
  const api = chain.find((e) => e.name === "JetStreamApiError");
  if (api?.message) return api.message;
  if (chain.some((e) => e.name === "TimeoutError")) return "no answer in time";
  if (chain.some((e) => e.name === "JetStreamNotEnabled" || e.name === "NoResponders" || e.name === "RequestError"))
    return "no responders: no leader";
  return (err as Error)?.message ?? String(err);
}

function isDisconnected(err: unknown): boolean {
  return causes(err).some((e) => e.name === "ClosedConnectionError" || e.name === "DrainingConnectionError");
}

function isRefused(err: unknown): boolean {
  return causes(err).some(
    (e) =>
      e.name === "PermissionViolationError" ||
      e.name === "AuthorizationError" ||
      e.name === "UserAuthenticationExpiredError",
  );
}

/**
 * The error of a JetStream call on `what` (e.g. "the heartbeat bucket"), as a PlexusError that says what failed.
 * A PlexusError is returned as it is.
 */
export function jetStreamError(err: unknown, what: string): PlexusError {
  if (err instanceof PlexusError) return err;
  const reason = (err as Error)?.message ?? String(err);
  if (isRefused(err))
    return new PlexusError(ErrorCode.RequestRefused, `NATS refused access to ${what}: ${reason}`, { cause: err });
  if (isDisconnected(err))
    return new PlexusError(ErrorCode.NatsUnavailable, `not connected to NATS (${what}): ${reason}`, { cause: err });
  if (isJetStreamUnavailable(err)) {
    const timedOut = causes(err).some((e) => e.name === "TimeoutError");
    const why = timedOut
      ? "did not answer in time (a leader election, or the cluster lost quorum?)"
      : "has no leader (cluster lost quorum?)";
    return new PlexusError(ErrorCode.JetStreamUnavailable, `JetStream unavailable: ${what} ${why}`, {
      cause: err,
      details: { reason: unavailableReason(err) },
    });
  }
  return new PlexusError(ErrorCode.PublishFailed, `${what}: ${reason}`, { cause: err });
}
