/** The `plexus gateway` entry of the command table (its implementation in ./start.ts, loaded on dispatch). */
import { DEFAULT_GATEWAY_KEY, DEFAULT_GATEWAY_LISTEN } from "../../lib/defaults.js";
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "gateway",
  summary: "run the A2A gateway: agents that opt in become A2A agents over HTTP; Ctrl-C stops it",
  usage: "plexus gateway start [--http HOST:PORT] [--gateway-key NAME] [--public-url URL]",
  help: `Starts an A2A gateway for the mesh on --nats: a mesh agent of its own (it signs what it forwards) that serves
every joined agent whose card says "a2a": {"expose": true} as an A2A (protocol v1.0) agent, at
<url>/agents/<agent token>/ (agent card at .well-known/agent-card.json, JSON-RPC at jsonrpc, HTTP+JSON at rest).
An A2A message becomes an "a2a.message" to the agent's durable inbox; its replies become the task's status. Runs
until Ctrl-C (SIGINT) or SIGTERM, then stops cleanly and exits 0. Needs a registry node on the mesh to look agents up.

Prints the gateway's DID and URL; with --json one line: {"gateway","mesh","nats","url","agents"}.

Options:
  --http HOST:PORT       where to serve (default ${DEFAULT_GATEWAY_LISTEN.host}:${DEFAULT_GATEWAY_LISTEN.port}; port 0 picks a free one)
  --gateway-key NAME     the key in --keys the gateway signs with (default "${DEFAULT_GATEWAY_KEY}"; created if missing)
  --public-url URL       the base URL the agent cards advertise, when callers come through a proxy (default: the
                         listen address)`,
  options: {
    http: { type: "string" },
    "gateway-key": { type: "string" },
    "public-url": { type: "string" },
  },
  subcommands: [
    {
      name: "start",
      summary: "run the A2A gateway until Ctrl-C",
      usage: "plexus gateway start [--http HOST:PORT] [--gateway-key NAME] [--public-url URL]",
      load: () => import("./start.js").then((m) => m.gatewayCommand),
    },
  ],
};
