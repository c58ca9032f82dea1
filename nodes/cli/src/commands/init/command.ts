/** The `plexus init` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "init",
  summary: "create the NATS operator, system account and the mesh's account (operator mode); plexus up does it too",
  usage: "plexus init [--nats-auth DIR] [--mesh ID] [--resolver-dir DIR]",
  help: `Creates what a NATS server in operator mode needs for the mesh, in the NATS auth folder (--nats-auth, default
~/.plexus/nats, the folder 0700, the files 0600 but the servers' include), keeping whatever is already there:
  operator.jwt, operator.nk, operator-signing.nk   the operator (the servers' trust root) and its signing key
  sys.account.jwt, sys.account.nk, sys.creds       the system account, and a user of it to push account updates
  <mesh>.account.jwt, <mesh>.account.nk            the mesh's account (JetStream on); its key signs agents' users
  <mesh>.service.creds                             the service user of registry nodes, sealers, gateways and operator
                                                   commands: it may not update, purge or delete streams or messages
  <mesh>.admin.creds                               the admin user of the provisioning step only (plexus up uses it to
                                                   create and update the history streams, then closes it); no
                                                   running node holds it
  <mesh>.bootstrap.creds                           the shared user agents start with: it may only ask the registry
                                                   for a challenge and for the agent's own user JWT
  operator.server.conf                             for the nats-servers (JWTs only, no secret, mode 0644): operator
                                                   mode with the operator inlined, the system account, the full
                                                   account resolver and every account JWT of the folder preloaded.
                                                   Every server of a cluster includes it (\`include
                                                   operator.server.conf\` in its configuration, a path relative to
                                                   that file); written anew on every run: run init again after
                                                   adding a mesh, before the servers restart

Options:
  --resolver-dir DIR      where each server keeps the account JWTs it resolves, on its own disk (default
                          "resolver", relative to the nats-server's working directory: give an absolute path of the
                          servers' machines). Revocations (plexus agent suspend) pushed to one server are shared by
                          the full resolvers of every server of the cluster

Keep the folder private: the .nk files and the admin, service and system creds are secrets. Agents on other machines
need only <mesh>.bootstrap.creds (put it in their own --nats-auth folder); a registry node elsewhere needs the mesh's
files (not <mesh>.admin.creds) and the operator's signing key and system creds (to revoke suspended agents).

A folder made by an older plexus (no <mesh>.admin.creds, a service user without restrictions) is brought up to date:
the admin user is added, a new restricted service user is issued, and the old one is revoked in the mesh's account
JWT (servers refuse it once they load that JWT: plexus up at its next start). Copy the new <mesh>.service.creds to
registry nodes that run elsewhere.

Prints the folder, the accounts and the servers' include file; --json:
{"auth","mesh","account","systemAccount","serverConfig","files"}. A server already running in operator mode loads a
new mesh's account only when it restarts (said on stderr).`,
  options: { "resolver-dir": { type: "string" } },
  optionValues: { "resolver-dir": "file" },
  load: () => import("./run.js").then((m) => m.initCommand),
};
