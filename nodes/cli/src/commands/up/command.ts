/** The `plexus up` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import { DEFAULT_GATEWAY_KEY, DEFAULT_GATEWAY_LISTEN, DEFAULT_HTTP, DEFAULT_REGISTRY_KEY } from "../../lib/defaults.js";
import type { CommandSpec } from "../../table/types.js";

/** nats-server's client port unless --nats-port says otherwise. */
export const DEFAULT_PORT = 4222;

export const command: CommandSpec = {
  name: "up",
  summary:
    "run a managed nats-server with JetStream, the mesh stream, a registry node, the sealer and the A2A gateway; Ctrl-C stops it",
  usage:
    "plexus up [--data DIR] [--nats-port N] [--fsync always|DURATION] [--replicas N] [--host H] [--no-auth] [--registry-key NAME] [--http HOST:PORT|off] [--trust-anchor DID]... [--no-registry] [--no-sealer] [--gateway-key NAME] [--gateway-http HOST:PORT|off] [--no-gateway]",
  help: `Starts a local nats-server with JetStream (its data in DIR), creates or updates the mesh's stream, starts a
registry node (agents join it; it serves discovery and reputation on NATS and HTTP), starts an audit sealer (every
event of the mesh gets a link in the hash chain; checkpoints are signed with the registry key; like plexus audit seal,
it writes while it holds the mesh's writer lease and stands by while another sealer does, and a stalled sealer makes
the registry's /readyz answer 503 with the reason), starts the A2A
gateway (agents whose card opts in are served as A2A agents over HTTP), prints the NATS URL agents connect to, and
stays up. Ctrl-C (SIGINT) or SIGTERM stops the gateway, the registry, the sealer and the server cleanly and exits 0.

The server runs in NATS operator mode: on first run up creates an operator, a system account and an account for the
mesh in the NATS auth folder (--nats-auth, default ~/.plexus/nats; see plexus init). Before starting anything up
provisions the mesh as its admin user (creates or updates the mesh stream, the audit streams and the heartbeat bucket
with their settings) and closes that connection; the registry, the sealer and the gateway then connect as the mesh's
service user, which cannot update, purge or delete streams or messages. Each of them checks that the mesh's history
streams keep their history and are the streams it saw before (creation times remembered under DIR); one that finds a
stream weakened, cut or recreated says so on stderr ("plexus: error: …") and stops using it: the registry's /readyz
answers 503 with the reason. An agent (plexus send, listen, … or the SDK with natsAuth) gets its
own short-lived user JWT from the registry, which lets it publish only as itself and read only its own inbox,
replies and receipts and the topics. --no-auth runs an open server instead (anyone who reaches it can do anything).

With --json, prints one line: {"nats","mesh","stream","data","pid","version","registry","http","gateway","a2a","auth","sealer"}
(pid: the nats-server process; registry: the registry key's DID, or null with --no-registry and --no-sealer;
http: the registry's HTTP URL, or null; gateway: the gateway key's DID and a2a its URL, or null with --no-gateway;
auth: the NATS auth folder, or null with --no-auth; sealer: the sealer's id, or null with --no-sealer).

Options:
  --data DIR               JetStream data folder (env PLEXUS_DATA, default ~/.plexus/data)
  --nats-port N            client port (default ${DEFAULT_PORT}; 0 picks a free port)
  --host H                 listen address (default 127.0.0.1; 0.0.0.0 to accept other machines)
  --no-auth                open server: no operator mode, no NATS users (what up ran before operator mode)
  --fsync always|DURATION  JetStream sync_interval. Default: the server's (2m): a crash of any process, nats-server
                           included, loses nothing acknowledged, but an OS crash or power loss can lose up to that
                           interval. "always" fsyncs before every acknowledgement, so every acknowledged write
                           survives an OS crash, at a throughput cost. A duration (30s, 500ms, 1m) sets the interval.
  --replicas N             the mesh's replica count (see plexus mesh create). up runs one local server, so 1 is the
                           default and the only count it can keep; a cluster is provisioned with plexus mesh create
  --registry-key NAME      the key in --keys the registry node and the audit checkpoints sign with (default
                           "${DEFAULT_REGISTRY_KEY}"; created if missing)
  --http HOST:PORT|off     the registry's HTTP API (default ${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}; port 0 picks a free one)
  --trust-anchor DID       make DID a trust anchor of the mesh (repeatable; a key name in --keys works too): the
                           registry node records it in the log once caught up (as registry start --trust-anchor);
                           dropping the flag later removes nothing: use plexus trust remove
  --no-registry            do not run a registry node here (run "plexus registry start" elsewhere)
  --no-sealer              do not run the audit sealer here (another node runs it)
  --gateway-key NAME       the key in --keys the A2A gateway signs with (default "${DEFAULT_GATEWAY_KEY}"; created if missing)
  --gateway-http HOST:PORT|off
                           the A2A gateway's address (default ${DEFAULT_GATEWAY_LISTEN.host}:${DEFAULT_GATEWAY_LISTEN.port}, and if that port is
                           taken up warns and runs without a gateway; port 0 picks a free one; off: no gateway)
  --no-gateway             do not run the A2A gateway here (run "plexus gateway start" elsewhere)

Registry snapshots go to DIR/registry/<mesh>, next to the JetStream data they were computed from.

--nats is accepted but unused: up prints the URL it serves.`,
  options: {
    data: { type: "string" },
    "nats-port": { type: "string" },
    host: { type: "string" },
    fsync: { type: "string" },
    replicas: { type: "string" },
    "no-auth": { type: "boolean" },
    "registry-key": { type: "string" },
    http: { type: "string" },
    "trust-anchor": { type: "string", multiple: true },
    "no-registry": { type: "boolean" },
    "no-sealer": { type: "boolean" },
    "gateway-key": { type: "string" },
    "gateway-http": { type: "string" },
    "no-gateway": { type: "boolean" },
  },
  load: () => import("./run.js").then((m) => m.upCommand),
};
