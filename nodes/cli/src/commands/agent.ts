/** `plexus agent join|suspend|resume`: join with a card and stay present until Ctrl-C; the operator kill switch. */
import { readFile } from "node:fs/promises";
import { checkCard, type AgentCard, type JoinResult } from "@plexus/anp";
import { positionalArgs, requiredOption, secondsOption, type CommandDef } from "../common-options.js";
import { CliError, oneLine, UsageError } from "../errors.js";
import { connectAgent, loadKey, waitForSignal } from "../session.js";
import { suspendOrResume } from "./agent-suspend.js";
import { refusal } from "./registry.js";

const COMMAND = "agent";
const MIN_HEARTBEAT_S = 0.05;

export const agentCommand: CommandDef = {
  name: COMMAND,
  summary: "join the registry with an agent card (join); cut an agent off or restore it (suspend, resume)",
  usage: "plexus agent join --as NAME --card FILE [--heartbeat SECONDS] | plexus agent suspend|resume AGENT [--reason TEXT] [--as OPERATOR]",
  help: `Joins the mesh's registry as NAME with the agent card in FILE (JSON, schemas/agent-card.json: name,
description, version, capabilities, tags…), prints the DID and the membership credential's id and expiry, then
sends heartbeats so the registry sees the agent alive, until Ctrl-C (SIGINT) or SIGTERM: then it leaves the registry,
closes and exits 0. A refused join prints the registry's reason (card_invalid, challenge_expired, …) and exits 8.

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
  --reason TEXT         why (kept in the log)`,
  options: {
    as: { type: "string" },
    card: { type: "string" },
    heartbeat: { type: "string" },
    reason: { type: "string" },
  },
  async run(context) {
    const { common, values, positionals, out } = context;
    const [sub, ...rest] = positionals;
    if (sub === undefined) throw new UsageError("missing a subcommand: join, suspend or resume", COMMAND);
    if (sub === "suspend" || sub === "resume") return suspendOrResume(sub, { ...context, positionals: rest });
    if (sub !== "join") throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use join, suspend or resume`, COMMAND);
    const as = requiredOption(values, "as", "NAME", COMMAND);
    const cardFile = requiredOption(values, "card", "FILE", COMMAND);
    const heartbeat = secondsOption(values, "heartbeat", COMMAND);
    if (heartbeat !== undefined && heartbeat < MIN_HEARTBEAT_S) throw new UsageError(`--heartbeat must be at least ${MIN_HEARTBEAT_S} seconds, got ${heartbeat}`, COMMAND);
    positionalArgs(rest, [], COMMAND);

    const card = await readCard(cardFile);
    const key = await loadKey(common, as, COMMAND);
    const signals = waitForSignal(out);
    const agent = await connectAgent(common, key, out);
    try {
      let joined: JoinResult;
      try {
        joined = await agent.join(card, heartbeat !== undefined ? { heartbeatMs: Math.round(heartbeat * 1000) } : {});
      } catch (err) {
        throw refusal(err, `${as}'s join`);
      }
      out.data(`${joined.did}\ncredential ${joined.credentialId}, expires ${new Date(joined.expiresAt).toISOString()}`, joinJson(joined));
      out.info(`plexus: ${as} joined mesh "${common.mesh}" (registry ${joined.registry}); heartbeat every ${heartbeat ?? joined.heartbeat.intervalMs / 1000} s. Ctrl-C to leave.`);
      const signal = await signals.signal;
      out.info(`plexus: ${signal}: leaving the registry…`);
      try {
        await agent.leave();
      } catch (err) {
        throw new CliError(`could not leave the registry: ${oneLine(err)}`, { cause: err });
      }
      out.info(`plexus: ${as} left mesh "${common.mesh}"`);
      return 0;
    } finally {
      await agent.close();
      signals.dispose();
    }
  },
};

/** The join result without the heartbeat secret: listed field by field, so a field added later is not printed by accident. */
function joinJson(j: JoinResult): Record<string, unknown> {
  const { did, credential, credentialId, expiresAt, registry, seq } = j;
  return { did, credential, credentialId, expiresAt, registry, heartbeat: { intervalMs: j.heartbeat.intervalMs, bucket: j.heartbeat.bucket }, seq };
}

/** The card file, parsed and checked against the schema before anything connects. */
async function readCard(file: string): Promise<AgentCard> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`--card ${file}: ${code === "ENOENT" ? "no such file" : oneLine(err)}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`--card ${file} is not valid JSON: ${oneLine(err)}`, { cause: err });
  }
  const checked = checkCard(value);
  if (!checked.ok) throw new CliError(`--card ${file} is not a valid agent card: ${checked.detail}`);
  return checked.card;
}
