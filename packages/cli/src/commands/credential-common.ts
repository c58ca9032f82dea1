/** What the credential subcommands share: reading a VC-JWT file and describing a capability credential. */
import { readFile } from "node:fs/promises";
import type { CapabilityClaims } from "@plexus/identity";
import { CliError } from "../errors.js";
import { shortDid } from "../output.js";

export const COMMAND = "credential";

/** The VC-JWT in FILE (surrounding whitespace ignored). */
export async function readJwt(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export function claimsJson(c: CapabilityClaims): Record<string, unknown> {
  return { id: c.id, issuer: c.issuer, subject: c.subject, capabilities: c.capabilities, issuedAt: c.issuedAt, expiresAt: c.expiresAt, mesh: c.mesh ?? null };
}

export function describe(c: CapabilityClaims): string {
  return `credential ${c.id}: ${shortDid(c.issuer)} attests ${shortDid(c.subject)} ${c.capabilities.join(",")}${c.mesh ? ` in mesh "${c.mesh}"` : ""}, expires ${iso(c.expiresAt)}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
