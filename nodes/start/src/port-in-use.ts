/**
 * A start function that cannot bind a port says which part of the process it was for, so the caller can point at the
 * setting that moves it (the CLI names its flag): the error keeps ErrorCode and cause, and adds `details.part`.
 */
import { isPlexusError, PlexusError } from "@plexus/core";

/** The parts of a process that listen on a port. */
export type ListeningPart = "nats" | "registry-http" | "gateway-http" | "sealer-http";

export function isPortInUse(err: unknown): err is PlexusError {
  return isPlexusError(err) && err.details?.["portInUse"] === true;
}

/** `err` as is, or, when it is a taken port, the same error naming `part`. */
export function namePart(err: unknown, part: ListeningPart): unknown {
  if (!isPortInUse(err)) return err;
  return new PlexusError(err.code, err.message, { details: { ...err.details, part }, cause: err });
}

/** The part a port-in-use error names (undefined: not one, or from elsewhere). */
export function portInUsePart(err: unknown): ListeningPart | undefined {
  return isPortInUse(err) ? (err.details?.["part"] as ListeningPart | undefined) : undefined;
}
