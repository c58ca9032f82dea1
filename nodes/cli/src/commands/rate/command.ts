/** The `plexus rate` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

/** The longest --comment accepted. */
export const MAX_COMMENT = 1000;

export const command: CommandSpec = {
  name: "rate",
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
  --factor F           what is rated: reliability, quality, responsiveness, honesty, cooperativeness (default quality)
  --comment TEXT       a comment, up to ${MAX_COMMENT} characters`,
  options: {
    as: { type: "string" },
    conversation: { type: "string" },
    score: { type: "string" },
    factor: { type: "string" },
    comment: { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.rateCommand),
};
