/** Asking the mesh's registry over NATS as the service user, and turning its refusals into one line. */
import { ErrorCode, isPlexusError } from "@plexus/core";
import { RegistryClient } from "@plexus/anp";
import type { CommonOptions } from "../common-options.js";
import { CliError } from "../errors.js";
import { connectService } from "../nats-auth.js";

/** Connects to NATS, asks the registry, closes; no node answering is one line saying how to start one. */
export async function withRegistry<T>(
  common: CommonOptions,
  command: string,
  ask: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  const nc = await connectService(common, `plexus ${command}`);
  try {
    return await ask(new RegistryClient(nc, common.mesh));
  } catch (err) {
    if (isPlexusError(err, ErrorCode.RegistryUnavailable)) {
      throw new CliError(
        `no registry node answered on mesh "${common.mesh}" at ${common.nats}; start one with "plexus up" or "plexus registry start"`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    await nc.close();
  }
}

/** A refusal (REQUEST_REFUSED) as one line that names its stable reason; anything else unchanged. */
export function refusal(err: unknown, what: string): unknown {
  if (!isPlexusError(err, ErrorCode.RequestRefused)) return err;
  const reason = typeof err.details?.["reason"] === "string" ? err.details["reason"] : "unknown";
  const text = err.message.includes(reason) ? err.message : `refused (${reason}): ${err.message}`;
  return new CliError(`${what}: ${text}`, { cause: err });
}
