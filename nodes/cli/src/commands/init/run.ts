/**
 * `plexus init`: the NATS operator-mode material of a mesh, created once (plexus up does it too on first run), and
 * the include file the nats-servers of a cluster share (operator.server.conf: JWTs only, rewritten on every run so
 * it preloads every account of the folder).
 */
import { ErrorCode } from "@plexus/core";
import { join } from "node:path";
import { ensureMeshAuth } from "@plexus/bus";
import { AuthFile, SERVER_CONFIG_FILE, writeServerConfig } from "@plexus/bus/internal";
import { positionalArgs, stringOption, type CommandImpl } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";

const COMMAND = "init";
/** Each server's own folder of account JWTs, relative to its working directory unless given. */
export const DEFAULT_RESOLVER_DIR = "resolver";

export const initCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    if (!common.natsAuth)
      throw new CliError("--nats-auth off: there is no folder to create the NATS auth in", {
        code: ErrorCode.InvalidArgument,
      });
    const resolverDir = stringOption(values, "resolver-dir", COMMAND) ?? DEFAULT_RESOLVER_DIR;
    if (resolverDir.trim() === "") throw new UsageError("--resolver-dir needs a folder", COMMAND);
    const auth = await ensureMeshAuth(common.natsAuth, common.mesh);
    const serverConfig = await writeServerConfig(auth.dir, resolverDir);
    const files = [
      AuthFile.operatorJwt,
      AuthFile.operatorSeed,
      AuthFile.operatorSigningSeed,
      AuthFile.systemJwt,
      AuthFile.systemSeed,
      AuthFile.systemCreds,
      AuthFile.accountJwt(common.mesh),
      AuthFile.accountSeed(common.mesh),
      AuthFile.serviceCreds(common.mesh),
      AuthFile.adminCreds(common.mesh),
      AuthFile.bootstrapCreds(common.mesh),
      SERVER_CONFIG_FILE,
    ].map((f) => join(auth.dir, f));
    out.data(
      [
        `auth      ${auth.dir}`,
        `mesh      ${common.mesh} (account ${auth.account})`,
        `system    ${auth.systemAccount}`,
        `agents    ${join(auth.dir, AuthFile.bootstrapCreds(common.mesh))}`,
        `servers   ${serverConfig} (include it in each nats-server's configuration; resolver dir ${resolverDir})`,
      ].join("\n"),
      {
        auth: auth.dir,
        mesh: common.mesh,
        account: auth.account,
        systemAccount: auth.systemAccount,
        serverConfig,
        files,
      },
    );
    // The server reads its operator's accounts at start (plexus up writes them into its configuration).
    out.info(
      `plexus: a nats-server already running in operator mode loads a new mesh's account only when it restarts: restart plexus up (or the server) before agents of mesh "${common.mesh}" connect`,
    );
  },
};
