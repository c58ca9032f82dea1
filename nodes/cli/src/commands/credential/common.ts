/** What the credential subcommands share: reading a VC-JWT file and describing a capability credential. */
import { readFile, stat } from "node:fs/promises";
import { ErrorCode, isPlexusError } from "@plexus/core";
import type { CapabilityClaims } from "@plexus/identity";
import { peekJwtPayload } from "@plexus/identity/internal";
import { CliError, UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";

export const COMMAND = "credential";

/** The VC-JWT in FILE (surrounding whitespace ignored). */
export async function readJwt(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
      code: ErrorCode.InvalidArgument,
    });
  }
}

/**
 * A credential named by its id (urn:uuid:…) or by a file holding it: then its id is read from the token (`jti`) and
 * the token comes along (a revocation ahead of time shows it, so the registry can check who issued it).
 */
export async function credentialRef(ref: string): Promise<{ id: string; jwt?: string }> {
  const isFile = await stat(ref).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) {
    if (ref.length === 0 || ref.length > 200)
      throw new UsageError(
        `ID|FILE: "${ref.slice(0, 40)}" is neither a file nor a credential id (1-200 characters)`,
        COMMAND,
      );
    return { id: ref };
  }
  const jwt = await readJwt(ref);
  let id: unknown;
  try {
    id = peekJwtPayload(jwt).jti;
  } catch (err) {
    if (isPlexusError(err)) throw new CliError(`${ref}: not a VC-JWT (${err.message})`, { cause: err });
    throw err;
  }
  if (typeof id !== "string" || id.length === 0)
    throw new CliError(`${ref}: the credential names no id (jti)`, { code: ErrorCode.CredentialInvalid });
  return { id, jwt };
}

export function claimsJson(c: CapabilityClaims): Record<string, unknown> {
  return {
    id: c.id,
    issuer: c.issuer,
    subject: c.subject,
    capabilities: c.capabilities,
    issuedAt: c.issuedAt,
    expiresAt: c.expiresAt,
    mesh: c.mesh ?? null,
  };
}

export function describe(c: CapabilityClaims): string {
  return `credential ${c.id}: ${shortDid(c.issuer)} attests ${shortDid(c.subject)} ${c.capabilities.join(",")}${c.mesh ? ` in mesh "${c.mesh}"` : ""}, expires ${iso(c.expiresAt)}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
