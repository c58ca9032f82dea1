import { assertTopic } from "@plexus/core";
import { conversationOption, positionalArgs, requiredOption, typeOption, validated, type CommandDef } from "../common-options.js";
import { bodyText } from "../body-input.js";
import { parseBody } from "../output.js";
import { connectAgent, loadKey } from "../session.js";

export const publishCommand: CommandDef = {
  name: "publish",
  summary: "publish a message to a topic",
  usage: "plexus publish --as NAME TOPIC (BODY | --body-file FILE|-) [--type T] [--conversation C]",
  help: `Publishes BODY from NAME to TOPIC: every subscription gets it (within a queue group, one member does),
including subscriptions that are not running now. BODY is JSON when it parses as JSON, else a string; --body-file
FILE reads it from FILE (- for standard input) instead. Prints the message id and its position in the mesh stream.

Options:
  --as NAME          the publishing agent's key name
  --body-file FILE|- the body from FILE, or from standard input (-), instead of BODY
  --type T           message type (default acp.message)
  --conversation C   conversation id`,
  options: {
    as: { type: "string" },
    type: { type: "string" },
    conversation: { type: "string" },
    "body-file": { type: "string" },
  },
  async run({ common, values, positionals, out }) {
    const cmd = "publish";
    const as = requiredOption(values, "as", "NAME", cmd);
    const type = typeOption(values, cmd);
    const conversation = conversationOption(values, cmd);
    const [topic, given] = positionalArgs(positionals, positionals.length <= 1 ? ["TOPIC"] : ["TOPIC", "BODY"], cmd) as [string, string?];
    validated(cmd, () => assertTopic(topic));
    const body = await bodyText(values, given, cmd);

    const key = await loadKey(common, as, cmd);
    const agent = await connectAgent(common, key, out);
    try {
      const sent = await agent.publish(topic, parseBody(body), {
        ...(type !== undefined ? { type } : {}),
        ...(conversation !== undefined ? { conversation } : {}),
      });
      out.data(`${sent.id}  stream position ${sent.streamSeq}`, {
        id: sent.id,
        topic,
        seq: sent.seq,
        streamSeq: sent.streamSeq,
        duplicate: sent.duplicate,
        conversation: sent.conversation ?? null,
      });
    } finally {
      await agent.close();
    }
  },
};
