/**
 * The nats-server configuration for operator mode: trust the folder's operator, resolve accounts with the `full`
 * resolver (account JWTs kept in a folder of the server's; updates pushed by a system-account user on
 * `$SYS.REQ.CLAIMS.UPDATE` take effect at once, revocations included, and full resolvers of a cluster share them),
 * and preload the folder's accounts so the server starts without anyone pushing them. A preloaded JWT never replaces
 * a newer one the resolver already holds. `plexus up` and the test harness append it to their generated file;
 * `plexus init` also writes it as a self-contained include file (operator inlined) for the servers of a cluster.
 */
import { readdir, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { decode } from "@nats-io/jwt";
import { ErrorCode, PlexusError } from "@plexus/core";
import { AuthFile, readAuthText } from "./auth-folder.js";

const q = (s: string): string => JSON.stringify(s);

/** The include file `plexus init` writes into the auth folder (JWTs only: public, no secret). */
export const SERVER_CONFIG_FILE = "operator.server.conf";

export interface OperatorModeConfigOptions {
  /** The operator JWT itself instead of its path, so the configuration stands on its own (default false). */
  inlineOperator?: boolean;
}

/** Raw nats-server configuration (for LaunchOptions.extraConfig) that runs the server in operator mode. */
export async function operatorModeConfig(
  authDir: string,
  resolverDir: string,
  options: OperatorModeConfigOptions = {},
): Promise<string> {
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
  // nats-server takes `operator` as a file path or, when it is not a file and starts with "eyJ", as the JWT itself.
  return [
    `operator: ${q(options.inlineOperator ? operator : join(authDir, AuthFile.operatorJwt))}`,
    `system_account: ${decode(system).sub}`,
    `resolver: { type: full, dir: ${q(resolverDir)}, allow_delete: false, interval: "2m", timeout: "1.9s" }`,
    "resolver_preload: {",
    ...preload,
    "}",
  ].join("\n");
}

/**
 * Writes SERVER_CONFIG_FILE into the auth folder: the operator-mode block every server of a cluster includes
 * (`include <path>` in its own configuration, relative to that file). `resolverDir` is each server's own folder for
 * account JWTs (a relative path is taken from the server's working directory). Returns the file's path.
 */
export async function writeServerConfig(authDir: string, resolverDir: string): Promise<string> {
  const text = await operatorModeConfig(authDir, resolverDir, { inlineOperator: true });
  const path = join(authDir, SERVER_CONFIG_FILE);
  const header =
    "# nats-server operator mode for this folder's meshes (written by plexus init; JWTs only, no secret)\n";
  await writeFile(path, `${header}${text}\n`, { mode: 0o644 });
  await chmod(path, 0o644);
  return path;
}
