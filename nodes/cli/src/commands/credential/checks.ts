/**
 * What `plexus credential verify` checks a credential against, besides the token itself: the mesh's registry keys
 * (the only valid issuers of a membership credential), the accepted audiences, and the credential's revocation. Online,
 * the registry of the mesh answers them (the `credential-status` query); offline, the user gives the registry keys
 * (--registry) and audiences (--audience), and revocation is not checked.
 */
import type { AsOf, CredentialStatusView } from "@plexus/anp";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { peekJwtPayload } from "@plexus/identity/internal";
import type { CommonOptions } from "../../common-options.js";
import { CliError, oneLine } from "../../errors.js";
import { COMMAND } from "./common.js";
import { withRegistry } from "../../lib/registry-request.js";

export interface VerifyChecks {
  online: boolean;
  /** Registry keys a membership credential may be issued by. */
  registries: Set<string>;
  /** Audiences a token that names one may name. */
  audiences: string[];
  /** Online: what the registry says about this credential (undefined when the token names no usable id/issuer). */
  status?: CredentialStatusView;
  asOf?: AsOf;
}

/** The id and issuer the token claims (unverified: only to ask the registry about them; the verifier checks them). */
export function claimedIdentity(jwt: string): { id: string; issuer: string } | undefined {
  const payload = peekJwtPayload(jwt);
  const id = payload.jti ?? payload.vc?.["id"];
  const issuer = payload.iss;
  if (typeof id !== "string" || id.length === 0 || id.length > 200) return undefined;
  if (typeof issuer !== "string" || !issuer.startsWith("did:") || issuer.length > 500) return undefined;
  return { id, issuer };
}

export function offlineChecks(registries: readonly string[], audiences: readonly string[]): VerifyChecks {
  // A token addressed to a registry key the user vouches for is addressed to the mesh's registry, as online.
  return { online: false, registries: new Set(registries), audiences: [...new Set([...audiences, ...registries])] };
}

/**
 * Asks the mesh's registry. A retired registry key still vouches for the membership credentials the log recorded it
 * handing out (agents keep them until they expire), never for one the log does not know: that key may have leaked.
 */
export async function onlineChecks(
  common: CommonOptions,
  jwt: string,
  audiences: readonly string[],
): Promise<VerifyChecks> {
  const claimed = claimedIdentity(jwt);
  if (claimed === undefined) return { online: true, registries: new Set(), audiences: [...audiences] };
  let answer;
  try {
    answer = await withRegistry(common, COMMAND, (registry) => registry.credentialStatus(claimed.id, claimed.issuer));
  } catch (err) {
    if (
      isPlexusError(err, ErrorCode.NatsUnavailable) ||
      isPlexusError(err, ErrorCode.NotReady) ||
      (err instanceof CliError && isPlexusError(err.cause, ErrorCode.RegistryUnavailable))
    ) {
      throw new CliError(
        `cannot check the credential with the registry: ${oneLine(err)}; to verify without it, name the mesh's registry key with --registry DID (or use --offline)`,
        { cause: err },
      );
    }
    throw err;
  }
  const status = answer.result;
  const registries = new Set(status.registryKeys);
  const retired = status.retiredRegistryKeys.some((r) => r.did === status.issuer);
  if (retired && status.recordedAs.includes("membership")) registries.add(status.issuer);
  return {
    online: true,
    registries,
    audiences: [...new Set([...audiences, ...status.registryKeys])],
    status,
    asOf: answer.asOf,
  };
}
