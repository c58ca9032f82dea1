/**
 * The nats-server configuration for operator mode: trust the folder's operator, resolve accounts with the `full`
 * resolver (account JWTs kept in a folder of the server's; updates pushed by a system-account user on
 * `$SYS.REQ.CLAIMS.UPDATE` take effect at once, revocations included), and preload the folder's accounts so the
 * server starts without anyone pushing them. A preloaded JWT never replaces a newer one the resolver already holds.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { decode } from "@nats-io/jwt";
import { ErrorCode, PlexusError } from "@plexus/core";
import { AuthFile, readAuthText } from "./auth-folder.js";

const q = (s: string): string => JSON.stringify(s);

/** Raw nats-server configuration (for LaunchOptions.extraConfig) that runs the server in operator mode. */
export async function operatorModeConfig(authDir: string, resolverDir: string): Promise<string> {
  const operator = await readAuthText(authDir, AuthFile.operatorJwt);
  const system = await readAuthText(authDir, AuthFile.systemJwt);
  if (operator === undefined || system === undefined) {
    throw new PlexusError(ErrorCode.ConfigInvalid, `${authDir} holds no operator: create it with \`plexus init\``, {
      details: { dir: authDir },
    });
  }
  const accounts = [system];
  for (const name of (await readdir(authDir)).sort()) {
    if (!name.endsWith(".account.jwt") || name === AuthFile.systemJwt) continue;
    const jwt = await readAuthText(authDir, name);
    if (jwt) accounts.push(jwt);
  }
  const preload = accounts.map((jwt) => `  ${decode(jwt).sub}: ${q(jwt)}`);
  return [
    `operator: ${q(join(authDir, AuthFile.operatorJwt))}`,
    `system_account: ${decode(system).sub}`,
    `resolver: { type: full, dir: ${q(resolverDir)}, allow_delete: false, interval: "2m", timeout: "1.9s" }`,
    "resolver_preload: {",
    ...preload,
    "}",
  ].join("\n");
}
