/** The `plexus credential` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

/** A credential's lifetime unless --ttl says otherwise. */
export const DEFAULT_TTL = "30d";

/** Exit code of `credential verify` for an invalid credential (CREDENTIAL_INVALID in the error table). */
export const EXIT_CREDENTIAL_INVALID = 8;

export const VERIFY_USAGE = "plexus credential verify FILE [--registry DID]... [--audience AUD]... [--offline]";

export const VERIFY_HELP = `  verify   verifies the credential in FILE strictly (EdDSA only, no crit header, the kid a key of the issuer among
           its assertion methods, the signature with that key, expiry, not-before) and checks it against the mesh
           (--mesh): a membership credential must be issued by a registry key of the mesh (a retired one only
           for the memberships the log recorded it handing out) and be for that mesh; a capability credential
           bound to a mesh must be bound to this one; a token that names an audience must name an accepted one
           (--audience, and the registry's keys).
           Online (the default) it asks the mesh's registry (over --nats) for its registry keys and what the log
           says of the credential (revoked, its agent suspended, a key rotated away); no registry answering is an
           error (exit 10) that points at --registry/--offline.
           Offline (--offline, or any --registry) it uses no NATS: the registry keys are the --registry DIDs (a
           membership credential is refused without one) and revocation (with suspension and key rotations) is
           "not checked (offline)".
           Exit 0 only if valid; ${EXIT_CREDENTIAL_INVALID} if not (refused: CREDENTIAL_INVALID), naming the reason (a CredentialRejection such as issuer_untrusted,
           wrong_mesh, wrong_audience, crit_unsupported, expired, bad_signature; or, online, "revoked",
           "suspended" (the membership credential of an agent an operator suspended), "rotated_key" (its
           subject's key was rotated away, or its issuer's and the log never recorded it)).
           --json: {"ok":true,"kind","issuer","claims","online","checks":{"issuer","mesh","audience","revocation"}}
           (issuer "registry_key"|"not_required", mesh "match"|"unbound", audience "none"|"match", revocation
           "not_revoked"|"not_checked") or {"ok":false,"reason","message"} (with "revocation" or "suspension")`;

export const VERIFY_OPTION_HELP = `  --registry DID       verify: a registry key of the mesh (a did:key or a key name; repeatable); implies --offline
  --audience AUD       verify: an audience to accept in a token that names one (repeatable)
  --offline            verify: use no NATS; revocation is not checked`;

export const command: CommandSpec = {
  name: "credential",
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
  subcommands: [
    {
      name: "issue",
      summary: "issue a capability credential (VC-JWT)",
      usage:
        "plexus credential issue --as ISSUER --subject AGENT --capability NAME... [--ttl 30d] [--bind-mesh] [--out FILE]",
      load: () => import("./run.js").then((m) => ({ run: m.issue })),
    },
    {
      name: "present",
      summary: "present a credential to the registry",
      usage: "plexus credential present --as NAME FILE",
      load: () => import("./run.js").then((m) => ({ run: m.present })),
    },
    {
      name: "revoke",
      summary: "revoke a credential you issued",
      usage: "plexus credential revoke --as ISSUER FILE_OR_ID [--reason TEXT]",
      load: () => import("./run.js").then((m) => ({ run: m.revoke })),
    },
    {
      name: "verify",
      summary: "verify a credential file",
      usage: "plexus credential verify FILE [--registry DID]... [--audience AUD]... [--offline]",
      load: () => import("./verify.js").then((m) => ({ run: m.verifyCredentialFile })),
    },
  ],
};
