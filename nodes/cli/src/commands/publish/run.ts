import { assertTopic } from "@plexus/core";
import {
  conversationOption,
  positionalArgs,
  requiredOption,
  typeOption,
  validated,
  type CommandImpl,
} from "../../common-options.js";
import { bodyText } from "../../body-input.js";
import { parseBody } from "../../output.js";
import { connectAgent, loadKey } from "../../session.js";

export const publishCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    const cmd = "publish";
    const as = requiredOption(values, "as", "NAME", cmd);
    const type = typeOption(values, cmd);
    const conversation = conversationOption(values, cmd);
    const [topic, given] = positionalArgs(
      positionals,
      positionals.length <= 1 ? ["TOPIC"] : ["TOPIC", "BODY"],
      cmd,
    ) as [string, string?];
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
