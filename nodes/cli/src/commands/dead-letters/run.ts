import { listDeadLetters } from "@plexus/sdk";
import { intOption, positionalArgs, type CommandImpl } from "../../common-options.js";
import { printInvalid, shortDid } from "../../output.js";
import { serviceCredentials } from "../../nats-auth.js";

export const deadLettersCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    const limit = intOption(values, "limit", "dead-letters", 0) ?? 100;
    positionalArgs(positionals, [], "dead-letters");
    const listed = await listDeadLetters({
      nats: common.nats,
      mesh: common.mesh,
      credentials: await serviceCredentials(common),
      limit,
    });
    if (out.json) {
      out.data("", { total: listed.total, records: listed.records, invalid: listed.invalid });
      return;
    }
    printInvalid(out, listed.invalid, "dead letters");
    if (listed.total === 0) {
      out.data(`no dead letters in mesh "${common.mesh}"`, undefined);
      return;
    }
    out.data(`${listed.total} dead letter${listed.total === 1 ? "" : "s"} in mesh "${common.mesh}"`, undefined);
    for (const r of listed.records) {
      const parts = [
        `#${r.streamSeq}`,
        new Date(r.at).toISOString(),
        `${r.envelope.id} from ${shortDid(r.envelope.from)}`,
        `type ${r.envelope.type}`,
        `failed at ${shortDid(r.consumer)} after ${r.attempts} attempts: ${r.reason}`,
      ];
      out.data(parts.join("  "), undefined);
    }
  },
};
