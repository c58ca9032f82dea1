/** Naming an agent on the command line: a did:key as is, or a key name in the key folder. */
import { ErrorCode, isPlexusError } from "@plexus/core";
import { resolveAgentRef } from "@plexus/identity";
import type { CommonOptions, OptionValues } from "../common-options.js";
import { CliError } from "../errors.js";
import { checkKeyName, createHint, keyStore } from "../session.js";

/** AGENT: a did:key as is, or a key name in the key folder. `label` names the argument in messages. */
export async function resolveAgent(
  common: CommonOptions,
  ref: string,
  command: string,
  label = "AGENT",
): Promise<string> {
  if (!ref.startsWith("did:")) checkKeyName(ref, command, label);
  try {
    return await resolveAgentRef(ref, keyStore(common));
  } catch (err) {
    if (isPlexusError(err, ErrorCode.InvalidDid)) throw new CliError(`${label}: ${err.message}`, { cause: err });
    if (isPlexusError(err, ErrorCode.KeyNotFound)) {
      throw new CliError(
        `${label} ${ref}: not a DID, and no key named "${ref}" in ${common.keys} (pass a did:key:…, or create it with: ${createHint(common, ref)})`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** --trust-anchor DID (repeatable; DIDs or key names), for registry start and up; undefined when not given. */
export async function trustAnchorOption(
  common: CommonOptions,
  values: OptionValues,
  command: string,
): Promise<string[] | undefined> {
  const anchors = values["trust-anchor"];
  if (!Array.isArray(anchors)) return undefined;
  return Promise.all(anchors.map((a) => resolveAgent(common, String(a), command, "--trust-anchor")));
}
