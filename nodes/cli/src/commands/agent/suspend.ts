/** `plexus agent suspend|resume AGENT`: the operator kill switch, signed by an operator key of the registry. */
import { positionalArgs, stringOption, type CommandContext } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { connectAgent, loadKey } from "../../session.js";
import { resolveAgent } from "../../lib/agent-ref.js";
import { refusal } from "../../lib/registry-request.js";

const COMMAND = "agent";
/** The key that signs by default: the registry's own key is always an operator of its registry. */
import { DEFAULT_OPERATOR_KEY } from "../../lib/defaults.js";
export { DEFAULT_OPERATOR_KEY };

export async function suspendOrResume(
  sub: "suspend" | "resume",
  { common, values, positionals, out }: CommandContext,
): Promise<number> {
  const [ref] = positionalArgs(positionals, ["AGENT"], COMMAND) as [string];
  const reason = stringOption(values, "reason", COMMAND) ?? "";
  if (sub === "suspend" && reason.trim() === "")
    throw new UsageError("suspend needs --reason TEXT (it is kept in the log with who suspended)", COMMAND);
  const target = await resolveAgent(common, ref, COMMAND);
  const operatorName = stringOption(values, "as", COMMAND) ?? DEFAULT_OPERATOR_KEY;
  const operator = await loadKey(common, operatorName, COMMAND);
  const agent = await connectAgent(common, operator, out);
  try {
    const answer = await (sub === "suspend"
      ? agent.registry.suspend(operator, target, reason)
      : agent.registry.resume(operator, target, reason)
    ).catch((err: unknown) => {
      throw refusal(err, `${sub} of ${target}`);
    });
    const verb = answer.suspended ? "suspended" : "resumed";
    out.data(`${verb} ${answer.agent} (log position ${answer.seq}, by ${operator.did})`, {
      ...answer,
      by: operator.did,
      reason,
    });
    return 0;
  } finally {
    await agent.close();
  }
}
