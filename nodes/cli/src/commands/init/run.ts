/** `plexus init`: the NATS operator-mode material of a mesh, created once (plexus up does it too on first run). */
import { ErrorCode } from "@plexus/core";
import { join } from "node:path";
import { ensureMeshAuth } from "@plexus/bus";
import { AuthFile } from "@plexus/bus/internal";
import { positionalArgs, type CommandImpl } from "../../common-options.js";
import { CliError } from "../../errors.js";

const COMMAND = "init";

export const initCommand: CommandImpl = {
  async run({ common, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    if (!common.natsAuth)
      throw new CliError("--nats-auth off: there is no folder to create the NATS auth in", {
        code: ErrorCode.InvalidArgument,
      });
    const auth = await ensureMeshAuth(common.natsAuth, common.mesh);
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
    ].map((f) => join(auth.dir, f));
    out.data(
      [
        `auth      ${auth.dir}`,
        `mesh      ${common.mesh} (account ${auth.account})`,
        `system    ${auth.systemAccount}`,
        `agents    ${join(auth.dir, AuthFile.bootstrapCreds(common.mesh))}`,
      ].join("\n"),
      { auth: auth.dir, mesh: common.mesh, account: auth.account, systemAccount: auth.systemAccount, files },
    );
    // The server reads its operator's accounts at start (plexus up writes them into its configuration).
    out.info(
      `plexus: a nats-server already running in operator mode loads a new mesh's account only when it restarts: restart plexus up (or the server) before agents of mesh "${common.mesh}" connect`,
    );
  },
};
