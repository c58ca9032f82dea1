/** `plexus credential issue|present|revoke|verify`: capability credentials (VC-JWTs) from any issuer key. */
import { writeFile } from "node:fs/promises";
import { issueCapabilityCredential } from "@plexus/identity";
import { CAPABILITY_NAME_PATTERN } from "@plexus/identity/internal";
import {
  positionalArgs,
  requiredOption,
  stringOption,
  type CommandContext,
  type OptionValues,
} from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";
import { loadKey } from "../../session.js";
import { claimsJson, COMMAND, credentialRef, describe, iso, readJwt } from "./common.js";
import { resolveAgent } from "../../lib/agent-ref.js";
import { refusal, withRegistry } from "../../lib/registry-request.js";

import { DEFAULT_TTL } from "./command.js";
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Options that only some subcommands take: naming one elsewhere is a usage error rather than silently ignored. */
function only(values: OptionValues, allowed: string[], sub: string): void {
  for (const name of [
    "as",
    "subject",
    "capability",
    "ttl",
    "bind-mesh",
    "out",
    "reason",
    "registry",
    "audience",
    "offline",
  ]) {
    if (values[name] !== undefined && !allowed.includes(name))
      throw new UsageError(`--${name} does not apply to credential ${sub}`, COMMAND);
  }
}

export function ttlOption(values: OptionValues): number {
  const v = stringOption(values, "ttl", COMMAND) ?? DEFAULT_TTL;
  const m = /^(\d+)([smhdw])$/.exec(v.trim());
  const ms = m ? Number(m[1]) * (UNITS[m[2] as string] as number) : NaN;
  if (!(ms >= 1_000 && ms <= 10 * 365 * 86_400_000))
    throw new UsageError(`--ttl must be a duration such as 90s, 12h, 30d (1 s to 10 years), got "${v}"`, COMMAND);
  return ms;
}

export async function issue({ common, values, positionals, out }: CommandContext): Promise<number> {
  only(values, ["as", "subject", "capability", "ttl", "bind-mesh", "out"], "issue");
  positionalArgs(positionals, [], COMMAND);
  const as = requiredOption(values, "as", "ISSUER", COMMAND);
  const subjectRef = requiredOption(values, "subject", "AGENT", COMMAND);
  const capabilities = (values["capability"] as string[] | undefined) ?? [];
  if (capabilities.length === 0) throw new UsageError("missing --capability NAME (repeat for several)", COMMAND);
  for (const c of capabilities)
    if (!CAPABILITY_NAME_PATTERN.test(c))
      throw new UsageError(
        `--capability ${JSON.stringify(c)} is not a capability name (lower-case a-z 0-9 . _ / -, up to 64)`,
        COMMAND,
      );
  const ttlMs = ttlOption(values);
  const file = stringOption(values, "out", COMMAND);
  const subject = await resolveAgent(common, subjectRef, COMMAND, "--subject");
  const key = await loadKey(common, as, COMMAND);
  const { jwt, claims } = await issueCapabilityCredential(key, {
    subject,
    capabilities,
    ttlMs,
    ...(values["bind-mesh"] === true ? { mesh: common.mesh } : {}),
  });
  if (file !== undefined) await writeFile(file, `${jwt}\n`, { mode: 0o644 });
  const json = { ...claimsJson(claims), ...(file !== undefined ? { file } : { jwt }) };
  out.data(file !== undefined ? `wrote ${file}: ${describe(claims)}` : jwt, json);
  if (file === undefined && !out.json) out.info(`plexus: ${describe(claims)}`);
  return 0;
}

export async function present({ common, values, positionals, out }: CommandContext): Promise<number> {
  only(values, ["as"], "present");
  const [file] = positionalArgs(positionals, ["FILE"], COMMAND) as [string];
  const as = requiredOption(values, "as", "AGENT", COMMAND);
  const jwt = await readJwt(file);
  const key = await loadKey(common, as, COMMAND);
  const result = await withRegistry(common, COMMAND, async (registry) => {
    try {
      return await registry.attest(key, jwt);
    } catch (err) {
      throw refusal(err, `${as}'s credential`);
    }
  });
  out.data(
    `attested: ${shortDid(result.subject)} ${result.capabilities.join(",")} by ${shortDid(result.issuer)} (credential ${result.id}, expires ${iso(result.expiresAt)}; log position ${result.seq})`,
    result,
  );
  return 0;
}

export async function revoke({ common, values, positionals, out }: CommandContext): Promise<number> {
  only(values, ["as", "reason"], "revoke");
  const [ref] = positionalArgs(positionals, ["ID|FILE"], COMMAND) as [string];
  const as = requiredOption(values, "as", "ISSUER", COMMAND);
  const reason = stringOption(values, "reason", COMMAND);
  if (reason !== undefined && reason.length > 500)
    throw new UsageError("--reason is longer than 500 characters", COMMAND);
  const { id, jwt } = await credentialRef(ref);
  const key = await loadKey(common, as, COMMAND);
  const result = await withRegistry(common, COMMAND, async (registry) => {
    try {
      return await registry.revoke(key, id, reason, jwt);
    } catch (err) {
      throw refusal(err, `${as}'s revocation`);
    }
  });
  out.data(
    result.revoked
      ? `revoked ${id} (log position ${result.seq})`
      : `${id} was already revoked (log position ${result.seq})`,
    result,
  );
  return 0;
}
