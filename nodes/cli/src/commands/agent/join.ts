/** `plexus agent join|suspend|resume`: join with a card and stay present until Ctrl-C; the operator kill switch. */
import { ErrorCode } from "@plexus/core";
import { readFile } from "node:fs/promises";
import { checkCard, type AgentCard, type JoinResult } from "@plexus/anp";
import { positionalArgs, requiredOption, secondsOption, type CommandImpl } from "../../common-options.js";
import { CliError, oneLine, UsageError } from "../../errors.js";
import { readyReport } from "../../ready-report.js";
import { connectAgent, loadKey, waitForSignal } from "../../session.js";
import { refusal } from "../../lib/registry-request.js";

const COMMAND = "agent";
const MIN_HEARTBEAT_S = 0.05;

export const agentCommand: CommandImpl = {
  async run(context) {
    const { common, values, positionals, out } = context;
    const rest = positionals;
    const as = requiredOption(values, "as", "NAME", COMMAND);
    const cardFile = requiredOption(values, "card", "FILE", COMMAND);
    const heartbeat = secondsOption(values, "heartbeat", COMMAND);
    if (heartbeat !== undefined && heartbeat < MIN_HEARTBEAT_S)
      throw new UsageError(`--heartbeat must be at least ${MIN_HEARTBEAT_S} seconds, got ${heartbeat}`, COMMAND);
    positionalArgs(rest, [], COMMAND);

    const card = await readCard(cardFile);
    const key = await loadKey(common, as, COMMAND);
    const ready = await readyReport(values, COMMAND, common.mesh, out);
    const signals = waitForSignal(out);
    const agent = await connectAgent(common, key, out);
    try {
      let joined: JoinResult;
      try {
        joined = await agent.join(card, heartbeat !== undefined ? { heartbeatMs: Math.round(heartbeat * 1000) } : {});
      } catch (err) {
        throw refusal(err, `${as}'s join`);
      }
      out.data(
        `${joined.did}\ncredential ${joined.credentialId}, expires ${new Date(joined.expiresAt).toISOString()}`,
        joinJson(joined),
      );
      await ready.ready(
        `${as} joined mesh "${common.mesh}" (registry ${joined.registry}); heartbeat every ${heartbeat ?? joined.heartbeat.intervalMs / 1000} s. Ctrl-C to leave.`,
        {
          did: joined.did,
          registry: joined.registry,
        },
      );
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
      await ready.stopped();
      signals.dispose();
    }
  },
};

/** The join result without the heartbeat secret: listed field by field, so a field added later is not printed by accident. */
function joinJson(j: JoinResult): Record<string, unknown> {
  const { did, credential, credentialId, expiresAt, registry, seq } = j;
  return {
    did,
    credential,
    credentialId,
    expiresAt,
    registry,
    heartbeat: { intervalMs: j.heartbeat.intervalMs, bucket: j.heartbeat.bucket },
    seq,
  };
}

/** The card file, parsed and checked against the schema before anything connects. */
async function readCard(file: string): Promise<AgentCard> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`--card ${file}: ${code === "ENOENT" ? "no such file" : oneLine(err)}`, {
      cause: err,
      code: ErrorCode.InvalidArgument,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`--card ${file} is not valid JSON: ${oneLine(err)}`, {
      cause: err,
      code: ErrorCode.InvalidArgument,
    });
  }
  const checked = checkCard(value);
  if (!checked.ok)
    throw new CliError(`--card ${file} is not a valid agent card: ${checked.detail}`, {
      code: ErrorCode.InvalidArgument,
    });
  return checked.card;
}
