/**
 * The `plexus mesh` entry of the command table: the mesh's settings (today its replica count) and how its streams
 * and buckets are replicated. The code behind both subcommands is in ./run.ts, loaded on dispatch.
 */
import type { CommandSpec } from "../../table/types.js";

const subcommands: CommandSpec[] = [
  {
    name: "create",
    summary: "provision the mesh: its settings, streams and buckets, with N replicas each (updates existing ones)",
    usage: "plexus mesh create [--replicas N]",
    help: `Provisions the mesh on the NATS server or cluster at --nats (comma-separated URLs): writes the mesh's settings
(its replica count, kept in the mesh stream's metadata, which every node reads at start), creates the mesh stream,
the audit streams and the heartbeat bucket, and brings every stream and KV bucket of the mesh that exists (topic
stream, sealers, A2A tasks) to N replicas; what nodes create later takes N from the settings. Run it again with
another N to change the count: JetStream moves the data to the new replicas itself. Like the provisioning step of
plexus up, it connects as the mesh's admin user (<mesh>.admin.creds in --nats-auth; made by plexus init) and closes
that connection when done; on an open server (--nats-auth off, or no files for the mesh) it connects without one.

N larger than the JetStream cluster's servers (or N > 1 on a single server) fails with REPLICAS_UNAVAILABLE (exit 6)
and changes nothing. Prints the replication the mesh ends with (as plexus mesh status); --json:
{"mesh","replicas","stream","changed":[{"name","from","to"}],"replication":{…}}.

Options:
  --replicas N   replicas of every stream and bucket, 1 to 5 (default: what the mesh's settings say; 1 for a new
                 mesh). 3 on a 3-server cluster keeps the mesh running when any one server is down`,
    options: { replicas: { type: "string" } },
    args: [],
    load: () => import("./run.js").then((m) => m.createMesh),
  },
  {
    name: "status",
    summary: "the replicas the mesh asks for, and each stream's and bucket's configured and current replicas",
    usage: "plexus mesh status",
    help: `For every stream and KV bucket of the mesh: the replicas the mesh's settings ask for, the replicas it is
configured with, how many copies are current (the leader and the replicas it sees caught up; 0 without a leader),
its leader and each replica's lag, and a warning line for each one below what the mesh asks. Connects as the
mesh's service user. A mesh without a mesh stream fails with MESH_NOT_FOUND. --json: {"mesh","asked","source",
"streams":[{"name","replicas","current","leader","peers":[{"name","current","lag","offline"}]}],"warnings"}
(source: where asked came from: "metadata" of the mesh stream, its num_replicas when it has none ("stream"), or
"unavailable" when the mesh stream did not answer: asked is then the most any stream keeps).`,
    args: [],
    load: () => import("./run.js").then((m) => m.meshStatus),
  },
];

export const command: CommandSpec = {
  name: "mesh",
  summary: "the mesh's settings and replication: create (provision, --replicas N), status",
  usage: subcommands.map((s) => s.usage).join("\n  "),
  help: `A mesh is provisioned once with its settings, which every node reads at start: today the number of replicas
every stream and KV bucket of the mesh keeps (the mesh log, the audit chain, checkpoints and tree, the heartbeats,
the sealers' and the A2A tasks' buckets, the topic stream). Registry nodes show what they found in /v1/status
("replication") and sealers in theirs, and log a warning for each stream below what the mesh asks.

${subcommands.map((s) => `  ${s.name.padEnd(7)} ${s.summary}`).join("\n")}

Run "plexus mesh SUBCOMMAND --help" for a subcommand's options.`,
  subcommands,
};
