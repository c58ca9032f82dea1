/** The `plexus mcp` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "mcp",
  summary: "serve the mesh to an MCP client (an LLM app) over stdio, acting as NAME",
  usage: "plexus mcp --as NAME",
  help: `Runs a Model Context Protocol server on stdin/stdout for an MCP client such as an LLM desktop app or the MCP
Inspector: the client starts this command and talks JSON-RPC to it. Nothing but MCP goes to stdout; logs go to stderr.
The key NAME is the identity the client acts as: what it sends is signed with it, and read_inbox reads its inbox.

Tools: discover_agents, get_agent, send_message (optionally awaiting the reply), read_inbox, rate_agent, and
verify_audit when the mesh has an audit chain (a sealer ran: "plexus up" runs one). Resources: agent cards as
plexus://agents/{did}. Stops when the client closes stdin, or on Ctrl-C/SIGTERM.

A client configuration (such as claude_desktop_config.json):
  {"mcpServers": {"plexus": {"command": "npx", "args": ["plexus", "mcp", "--as", "alice"]}}}

Options:
  --as NAME      the agent's key name (create it with: plexus keys new NAME)`,
  options: {
    as: { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.mcpCommand),
};
