import type { CommandDef } from "../common-options.js";
import { agentCommand } from "./agent.js";
import { agentsCommand } from "./agents.js";
import { auditCommand } from "./audit.js";
import { deadLettersCommand } from "./dead-letters.js";
import { credentialCommand } from "./credential.js";
import { discoverCommand } from "./discover.js";
import { gatewayCommand } from "./gateway.js";
import { initCommand } from "./init.js";
import { keysCommand } from "./keys.js";
import { listenCommand } from "./listen.js";
import { mcpCommand } from "./mcp.js";
import { publishCommand } from "./publish.js";
import { rateCommand } from "./rate.js";
import { registryCommand } from "./registry.js";
import { rejectedCommand } from "./rejected.js";
import { reputationCommand } from "./reputation.js";
import { sendCommand } from "./send.js";
import { subscribeCommand } from "./subscribe.js";
import { trustCommand } from "./trust.js";
import { upCommand } from "./up.js";

/** In the order `plexus --help` lists them. */
export const COMMANDS: readonly CommandDef[] = [
  upCommand,
  initCommand,
  keysCommand,
  sendCommand,
  listenCommand,
  publishCommand,
  subscribeCommand,
  rejectedCommand,
  deadLettersCommand,
  auditCommand,
  registryCommand,
  gatewayCommand,
  agentCommand,
  agentsCommand,
  discoverCommand,
  credentialCommand,
  rateCommand,
  reputationCommand,
  trustCommand,
  mcpCommand,
];

export function findCommand(name: string): CommandDef | undefined {
  return COMMANDS.find((c) => c.name === name);
}
