/**
 * The command table: every `plexus` command in the order `plexus --help` lists them. Each entry is a light module
 * (names, usage, help, options); the code behind it loads only when it is dispatched.
 */
import { command as agent } from "../commands/agent/command.js";
import { command as agents } from "../commands/agents/command.js";
import { command as audit } from "../commands/audit/command.js";
import { command as completion } from "../commands/completion/command.js";
import { command as complete } from "../commands/completion/complete-command.js";
import { command as context } from "../commands/context/command.js";
import { command as credential } from "../commands/credential/command.js";
import { command as deadLetters } from "../commands/dead-letters/command.js";
import { command as discover } from "../commands/discover/command.js";
import { command as gateway } from "../commands/gateway/command.js";
import { command as init } from "../commands/init/command.js";
import { command as keys } from "../commands/keys/command.js";
import { command as listen } from "../commands/listen/command.js";
import { command as mcp } from "../commands/mcp/command.js";
import { command as mesh } from "../commands/mesh/command.js";
import { command as publish } from "../commands/publish/command.js";
import { command as rate } from "../commands/rate/command.js";
import { command as registry } from "../commands/registry/command.js";
import { command as rejected } from "../commands/rejected/command.js";
import { command as reputation } from "../commands/reputation/command.js";
import { command as send } from "../commands/send/command.js";
import { command as subscribe } from "../commands/subscribe/command.js";
import { command as trust } from "../commands/trust/command.js";
import { command as up } from "../commands/up/command.js";
import type { CommandSpec } from "./types.js";

export const COMMANDS: readonly CommandSpec[] = [
  up,
  init,
  mesh,
  keys,
  send,
  listen,
  publish,
  subscribe,
  rejected,
  deadLetters,
  audit,
  registry,
  gateway,
  agent,
  agents,
  discover,
  credential,
  rate,
  reputation,
  trust,
  mcp,
  context,
  completion,
  complete,
];
