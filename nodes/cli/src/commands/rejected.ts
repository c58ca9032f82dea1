import { listRejected } from "@plexus/sdk";
import { intOption, positionalArgs, type CommandDef } from "../common-options.js";
import { printInvalid, shortDid } from "../output.js";
import { serviceCredentials } from "../nats-auth.js";

/** Reasons are counted over at most this many of the newest records (listing reads the records from the stream). */
const COUNT_CAP = 10_000;

export const rejectedCommand: CommandDef = {
  name: "rejected",
  summary: "list rejected envelopes with their reasons",
  usage: "plexus rejected [--limit N]",
  help: `Lists the envelopes that this mesh's readers refused (bad signature, stale, replayed, malformed, oversized,
…), newest N, oldest first, with counts by reason. Each record keeps the refused message's first 4 KiB (base64,
in --json output); the message itself stays in the stream.

--json prints one object: {"total", "byReason": {reason: count}, "records": [...], "invalid": [...]}; "counted" is
added when reasons were counted over fewer than all records (more than ${COUNT_CAP}). "invalid" lists messages on
record subjects that are not rejection records (any agent may publish on its own record subject): their position,
subject (which names the publisher) and why; they are never counted as rejections.

Options:
  --limit N    how many of the newest records to list (default 100)`,
  options: {
    limit: { type: "string" },
  },
  async run({ common, values, positionals, out }) {
    const limit = intOption(values, "limit", "rejected", 0) ?? 100;
    positionalArgs(positionals, [], "rejected");

    const listed = await listRejected({ nats: common.nats, mesh: common.mesh, credentials: await serviceCredentials(common), limit: Math.max(limit, COUNT_CAP) });
    const byReason: Record<string, number> = {};
    for (const r of listed.records) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    const records = limit === 0 ? [] : listed.records.slice(-limit);
    const counted = listed.records.length;

    if (out.json) {
      out.data("", { total: listed.total, byReason, ...(counted < listed.total ? { counted } : {}), records, invalid: listed.invalid });
      return;
    }
    printInvalid(out, listed.invalid, "rejection records");
    if (listed.total === 0) {
      out.data(`no rejected envelopes in mesh "${common.mesh}"`, undefined);
      return;
    }
    const reasons = Object.entries(byReason)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${reason} ${n}`)
      .join(", ");
    out.data(
      `${listed.total} rejected envelope${listed.total === 1 ? "" : "s"} in mesh "${common.mesh}"; by reason${counted < listed.total ? ` (newest ${counted})` : ""}: ${reasons}`,
      undefined,
    );
    if (records.length < listed.total) out.data(`showing the newest ${records.length}:`, undefined);
    for (const r of records) {
      const parts = [
        `#${r.streamSeq}`,
        new Date(r.at).toISOString(),
        r.reason,
        ...(r.from !== undefined ? [`from ${shortDid(r.from)}`] : []),
        `refused by ${shortDid(r.consumer)}`,
        `${r.size} bytes`,
        r.detail,
      ];
      out.data(parts.join("  "), undefined);
    }
  },
};
