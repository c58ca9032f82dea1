/** `plexus rate`: rate another agent's part in a conversation both took part in. */
import { FACTORS, type Factor, type Rating } from "@plexus/anp";
import { conversationOption, positionalArgs, requiredOption, stringOption, type CommandDef } from "../common-options.js";
import { UsageError } from "../errors.js";
import { shortDid } from "../output.js";
import { loadKey } from "../session.js";
import { refusal, resolveAgent, scoreOption, withRegistry } from "./registry.js";

const COMMAND = "rate";
const MAX_COMMENT = 1000;

export const rateCommand: CommandDef = {
  name: COMMAND,
  summary: "rate an agent in a conversation you had with it (0 to 1)",
  usage: "plexus rate --as NAME AGENT --conversation C --score 0..1 [--factor F] [--comment TEXT]",
  help: `Sends NAME's signed rating of AGENT (a did:key, or a key name in the key folder) to the registry. A rating
counts only if the mesh's log holds a message from NAME to AGENT and one from AGENT to NAME in conversation C;
otherwise the registry refuses it (no_conversation) and the command exits 8 with the reason. Agents cannot rate
themselves. Prints the rating's position in the mesh log; --json: {"ratee","conversation","score","factor","seq"}.

Options:
  --as NAME            the rating agent's key name
  --conversation C     the conversation the rating is about
  --score X            0 (bad) to 1 (excellent)
  --factor F           what is rated: ${FACTORS.join(", ")} (default quality)
  --comment TEXT       a comment, up to ${MAX_COMMENT} characters`,
  options: {
    as: { type: "string" },
    conversation: { type: "string" },
    score: { type: "string" },
    factor: { type: "string" },
    comment: { type: "string" },
  },
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
    if (comment !== undefined && comment.length > MAX_COMMENT) throw new UsageError(`--comment is longer than ${MAX_COMMENT} characters`, COMMAND);
    const [agentRef] = positionalArgs(positionals, ["AGENT"], COMMAND) as [string];

    const ratee = await resolveAgent(common, agentRef, COMMAND);
    const key = await loadKey(common, as, COMMAND);
    const rating: Rating = { ratee, conversation, score, ...(factor !== undefined ? { factor: factor as Factor } : {}), ...(comment !== undefined ? { comment } : {}) };
    const { seq } = await withRegistry(common, COMMAND, async (registry) => {
      try {
        return await registry.rate(key, rating);
      } catch (err) {
        throw refusal(err, `${as}'s rating`);
      }
    });
    out.data(`rated ${shortDid(ratee)} ${score}${factor !== undefined ? ` for ${factor}` : ""} in conversation ${conversation} (log position ${seq})`, {
      ratee,
      conversation,
      score,
      factor: factor ?? null,
      seq,
    });
  },
};
