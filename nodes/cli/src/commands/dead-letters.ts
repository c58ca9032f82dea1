import { listDeadLetters } from "@plexus/sdk";
import { intOption, positionalArgs, type CommandDef } from "../common-options.js";
import { printInvalid, shortDid } from "../output.js";
import { serviceCredentials } from "../nats-auth.js";

export const deadLettersCommand: CommandDef = {
  name: "dead-letters",
  summary: "list messages whose handlers failed on every attempt",
  usage: "plexus dead-letters [--limit N]",
  help: `Lists the dead letters of this mesh, newest N, oldest first: messages a handler failed on every attempt
(5 by default). Each keeps the whole envelope, the last error and the number of attempts; its sender got a
signed "failed" receipt.

--json prints one object: {"total", "records": [...], "invalid": [...]}: "invalid" lists messages on dead-letter
subjects that are not dead letters (any agent may publish on its own), by position, subject and why.

Options:
  --limit N    how many of the newest dead letters to list (default 100)`,
  options: {
    limit: { type: "string" },
  },
  async run({ common, values, positionals, out }) {
    const limit = intOption(values, "limit", "dead-letters", 0) ?? 100;
    positionalArgs(positionals, [], "dead-letters");
    const listed = await listDeadLetters({ nats: common.nats, mesh: common.mesh, credentials: await serviceCredentials(common), limit });
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
