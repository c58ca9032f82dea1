/** The `plexus agent` entry of the command table (its implementation in ./join.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";
import { READY_FILE_HELP, READY_FILE_OPTION } from "../../table/ready-file-option.js";

export const command: CommandSpec = {
  name: "agent",
  summary: "join the registry with an agent card (join); cut an agent off or restore it (suspend, resume)",
  usage:
    "plexus agent join --as NAME --card FILE [--heartbeat SECONDS] [--ready-file PATH] | plexus agent suspend|resume AGENT [--reason TEXT] [--as OPERATOR]",
  help: `Joins the mesh's registry as NAME with the agent card in FILE (JSON, schemas/agent-card.json: name,
description, version, capabilities, tags…), prints the DID and the membership credential's id and expiry, then
sends heartbeats so the registry sees the agent alive, until Ctrl-C (SIGINT) or SIGTERM, from whoever sends it
(started through npx, the end of npx's process counts as SIGTERM): then it leaves the registry, closes and exits 0.
A refused join prints the registry's reason (card_invalid, challenge_expired, …) and exits 8. Once joined,
"plexus: ready: …" is on stderr and --ready-file's file exists; the file is removed once the agent has left.

--json prints one line: the join result {"did","credential","credentialId","expiresAt","registry","heartbeat":
{"intervalMs","bucket"},"seq"} (the heartbeat secret is never printed).

plexus agent suspend AGENT --reason TEXT [--as OPERATOR]
  The kill switch: the registry appends AgentSuspended naming the operator and the reason, takes the agent off
  discovery, refuses its requests and, in operator mode, revokes its NATS user so the server cuts it off at once.
  AGENT is a did:key or a key name. OPERATOR is a key the registry accepts as operator (registry start --operator
  DID; the registry's own key always is): default "registry". --json: {"agent","suspended","seq","by","reason"}.
plexus agent resume AGENT [--reason TEXT] [--as OPERATOR]
  Restores a suspended agent (AgentResumed in the log); it may connect and join again.

Options:
  --as NAME             the agent's key name (join), or the operator's (suspend, resume)
  --card FILE           the agent card (JSON)
  --heartbeat SECONDS   heartbeat interval (default: what the registry asks for)
  --reason TEXT         why (kept in the log)
${READY_FILE_HELP} (join)`,
  options: {
    as: { type: "string" },
    card: { type: "string" },
    heartbeat: { type: "string" },
    reason: { type: "string" },
    ...READY_FILE_OPTION,
  },
  subcommands: [
    {
      name: "join",
      summary: "join with an agent card and stay present until Ctrl-C",
      usage: "plexus agent join --as NAME --card FILE [--heartbeat SECONDS] [--ready-file PATH]",
      load: () => import("./join.js").then((m) => m.agentCommand),
    },
    {
      name: "suspend",
      summary: "cut an agent off (the kill switch)",
      usage: "plexus agent suspend AGENT --reason TEXT [--as OPERATOR]",
      load: () => import("./suspend.js").then((m) => ({ run: (ctx) => m.suspendOrResume("suspend", ctx) })),
    },
    {
      name: "resume",
      summary: "restore a suspended agent",
      usage: "plexus agent resume AGENT [--reason TEXT] [--as OPERATOR]",
      load: () => import("./suspend.js").then((m) => ({ run: (ctx) => m.suspendOrResume("resume", ctx) })),
    },
  ],
};
