/** `plexus rate`: rate another agent's part in a conversation both took part in. */
import { FACTORS, type Factor, type Rating } from "@plexus/anp";
import {
  conversationOption,
  positionalArgs,
  requiredOption,
  stringOption,
  type CommandImpl,
} from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";
import { loadKey } from "../../session.js";
import { resolveAgent } from "../../lib/agent-ref.js";
import { refusal, withRegistry } from "../../lib/registry-request.js";
import { scoreOption } from "../../lib/score-option.js";

const COMMAND = "rate";
import { MAX_COMMENT } from "./command.js";

export const rateCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    const as = requiredOption(values, "as", "NAME", COMMAND);
    const conversation = conversationOption(values, COMMAND);
    if (conversation === undefined) throw new UsageError("missing --conversation C", COMMAND);
    const score = scoreOption(values, "score", COMMAND);
    if (score === undefined) throw new UsageError("missing --score X (0 to 1)", COMMAND);
    const factor = stringOption(values, "factor", COMMAND);
    if (factor !== undefined && !(FACTORS as readonly string[]).includes(factor)) {
      throw new UsageError(`--factor must be one of ${FACTORS.join(", ")}, got ${JSON.stringify(factor)}`, COMMAND);
    }
    const comment = stringOption(values, "comment", COMMAND);
    if (comment !== undefined && comment.length > MAX_COMMENT)
      throw new UsageError(`--comment is longer than ${MAX_COMMENT} characters`, COMMAND);
    const [agentRef] = positionalArgs(positionals, ["AGENT"], COMMAND) as [string];

    const ratee = await resolveAgent(common, agentRef, COMMAND);
    const key = await loadKey(common, as, COMMAND);
    const rating: Rating = {
      ratee,
      conversation,
      score,
      ...(factor !== undefined ? { factor: factor as Factor } : {}),
      ...(comment !== undefined ? { comment } : {}),
    };
    const { seq } = await withRegistry(common, COMMAND, async (registry) => {
      try {
        return await registry.rate(key, rating);
      } catch (err) {
        throw refusal(err, `${as}'s rating`);
      }
    });
    out.data(
      `rated ${shortDid(ratee)} ${score}${factor !== undefined ? ` for ${factor}` : ""} in conversation ${conversation} (log position ${seq})`,
      {
        ratee,
        conversation,
        score,
        factor: factor ?? null,
        seq,
      },
    );
  },
};
