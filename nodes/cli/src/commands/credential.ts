/** `plexus credential issue|present|revoke|verify`: capability credentials (VC-JWTs) from any issuer key. */
import { writeFile } from "node:fs/promises";
import { issueCapabilityCredential, CAPABILITY_NAME_PATTERN } from "@plexus/identity";
import { positionalArgs, requiredOption, stringOption, type CommandContext, type CommandDef, type OptionValues } from "../common-options.js";
import { UsageError } from "../errors.js";
import { shortDid } from "../output.js";
import { loadKey } from "../session.js";
import { claimsJson, COMMAND, credentialRef, describe, iso, readJwt } from "./credential-common.js";
import { verifyCredentialFile, VERIFY_HELP, VERIFY_OPTION_HELP, VERIFY_USAGE } from "./credential-verify.js";
import { refusal, resolveAgent, withRegistry } from "./registry.js";

const DEFAULT_TTL = "30d";
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const credentialCommand: CommandDef = {
  name: COMMAND,
  summary: "capability credentials: issue, present to the registry, revoke, verify",
  usage: `plexus credential issue --as ISSUER --subject AGENT --capability NAME... [--ttl 30d] [--bind-mesh] [--out FILE]
  plexus credential present --as AGENT FILE
  plexus credential revoke --as ISSUER ID|FILE [--reason TEXT]
  ${VERIFY_USAGE}`,
  help: `A capability credential is a VC-JWT (type PlexusCapabilityCredential, alg EdDSA, with kid, jti, nbf, exp) in
which ISSUER, any key, attests that AGENT has the named capabilities. Presented to the registry, it makes those
capabilities "attested by ISSUER" in discovery (plexus discover --verified-only) until it expires or is revoked.

  issue    sign a credential with ISSUER's key; prints the VC-JWT (or writes it to --out FILE).
           --json: {"id","issuer","subject","capabilities","issuedAt","expiresAt","mesh","jwt"|"file"}
  present  AGENT (the credential's subject, or its issuer) hands the credential in FILE to the registry, which
           verifies it strictly and records it. A refusal prints the reason (credential_invalid, not_joined…), exit 8.
  revoke   the issuer (or the key it rotated to, or the registry's key) revokes credential ID (urn:uuid:…), or
           the one in FILE; it stops counting at once. One the registry has not seen yet can be revoked ahead of
           time only by naming its FILE (the registry checks who issued it). A refusal (not_issuer,
           unknown_credential…) prints the reason, exit 8.
           --json: {"seq","credentialId","issuer","revoked"} (revoked false: it was already)
${VERIFY_HELP}

Options:
  --as NAME            the issuer's key (issue, revoke) or the presenting agent's (present)
  --subject AGENT      the agent the credential is about: a did:key or a key name
  --capability NAME    a capability name (repeat for several)
  --ttl DURATION       lifetime: a number with s, m, h, d or w (default ${DEFAULT_TTL})
  --bind-mesh          valid only in this --mesh
  --out FILE           write the VC-JWT to FILE instead of stdout
  --reason TEXT        why (revoke; kept in the log)
${VERIFY_OPTION_HELP}`,
  options: {
    as: { type: "string" },
    subject: { type: "string" },
    capability: { type: "string", multiple: true },
    ttl: { type: "string" },
    "bind-mesh": { type: "boolean" },
    out: { type: "string" },
    reason: { type: "string" },
    registry: { type: "string", multiple: true },
    audience: { type: "string", multiple: true },
    offline: { type: "boolean" },
  },
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    const subcommands: Record<string, (c: CommandContext) => Promise<number>> = { issue, present, revoke, verify: verifyCredentialFile };
    const run = Object.hasOwn(subcommands, sub ?? "") ? subcommands[sub as string] : undefined;
    if (sub === undefined || run === undefined) {
      throw new UsageError(sub === undefined ? "missing a subcommand: issue, present, revoke or verify" : `unknown subcommand ${JSON.stringify(sub)}: use issue, present, revoke or verify`, COMMAND);
    }
    return run({ ...ctx, positionals: rest });
  },
};

/** Options that only some subcommands take: naming one elsewhere is a usage error rather than silently ignored. */
function only(values: OptionValues, allowed: string[], sub: string): void {
  for (const name of ["as", "subject", "capability", "ttl", "bind-mesh", "out", "reason", "registry", "audience", "offline"]) {
    if (values[name] !== undefined && !allowed.includes(name)) throw new UsageError(`--${name} does not apply to credential ${sub}`, COMMAND);
  }
}

export function ttlOption(values: OptionValues): number {
  const v = stringOption(values, "ttl", COMMAND) ?? DEFAULT_TTL;
  const m = /^(\d+)([smhdw])$/.exec(v.trim());
  const ms = m ? Number(m[1]) * (UNITS[m[2] as string] as number) : NaN;
  if (!(ms >= 1_000 && ms <= 10 * 365 * 86_400_000)) throw new UsageError(`--ttl must be a duration such as 90s, 12h, 30d (1 s to 10 years), got "${v}"`, COMMAND);
  return ms;
}

async function issue({ common, values, positionals, out }: CommandContext): Promise<number> {
  only(values, ["as", "subject", "capability", "ttl", "bind-mesh", "out"], "issue");
  positionalArgs(positionals, [], COMMAND);
  const as = requiredOption(values, "as", "ISSUER", COMMAND);
  const subjectRef = requiredOption(values, "subject", "AGENT", COMMAND);
  const capabilities = (values["capability"] as string[] | undefined) ?? [];
  if (capabilities.length === 0) throw new UsageError("missing --capability NAME (repeat for several)", COMMAND);
  for (const c of capabilities) if (!CAPABILITY_NAME_PATTERN.test(c)) throw new UsageError(`--capability ${JSON.stringify(c)} is not a capability name (lower-case a-z 0-9 . _ / -, up to 64)`, COMMAND);
  const ttlMs = ttlOption(values);
  const file = stringOption(values, "out", COMMAND);
  const subject = await resolveAgent(common, subjectRef, COMMAND, "--subject");
  const key = await loadKey(common, as, COMMAND);
  const { jwt, claims } = await issueCapabilityCredential(key, { subject, capabilities, ttlMs, ...(values["bind-mesh"] === true ? { mesh: common.mesh } : {}) });
  if (file !== undefined) await writeFile(file, `${jwt}\n`, { mode: 0o644 });
  const json = { ...claimsJson(claims), ...(file !== undefined ? { file } : { jwt }) };
  out.data(file !== undefined ? `wrote ${file}: ${describe(claims)}` : jwt, json);
  if (file === undefined && !out.json) out.info(`plexus: ${describe(claims)}`);
  return 0;
}

async function present({ common, values, positionals, out }: CommandContext): Promise<number> {
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
  out.data(`attested: ${shortDid(result.subject)} ${result.capabilities.join(",")} by ${shortDid(result.issuer)} (credential ${result.id}, expires ${iso(result.expiresAt)}; log position ${result.seq})`, result);
  return 0;
}

async function revoke({ common, values, positionals, out }: CommandContext): Promise<number> {
  only(values, ["as", "reason"], "revoke");
  const [ref] = positionalArgs(positionals, ["ID|FILE"], COMMAND) as [string];
  const as = requiredOption(values, "as", "ISSUER", COMMAND);
  const reason = stringOption(values, "reason", COMMAND);
  if (reason !== undefined && reason.length > 500) throw new UsageError("--reason is longer than 500 characters", COMMAND);
  const { id, jwt } = await credentialRef(ref);
  const key = await loadKey(common, as, COMMAND);
  const result = await withRegistry(common, COMMAND, async (registry) => {
    try {
      return await registry.revoke(key, id, reason, jwt);
    } catch (err) {
      throw refusal(err, `${as}'s revocation`);
    }
  });
  out.data(result.revoked ? `revoked ${id} (log position ${result.seq})` : `${id} was already revoked (log position ${result.seq})`, result);
  return 0;
}
