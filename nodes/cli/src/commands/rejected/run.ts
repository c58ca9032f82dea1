import { listRejected } from "@plexus/sdk";
import { intOption, positionalArgs, type CommandImpl } from "../../common-options.js";
import { printInvalid, shortDid } from "../../output.js";
import { serviceCredentials } from "../../nats-auth.js";

/** Reasons are counted over at most this many of the newest records (listing reads the records from the stream). */
import { COUNT_CAP } from "./command.js";

export const rejectedCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    const limit = intOption(values, "limit", "rejected", 0) ?? 100;
    positionalArgs(positionals, [], "rejected");

    const listed = await listRejected({
      nats: common.nats,
      mesh: common.mesh,
      credentials: await serviceCredentials(common),
      limit: Math.max(limit, COUNT_CAP),
    });
    const byReason: Record<string, number> = {};
    for (const r of listed.records) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    const records = limit === 0 ? [] : listed.records.slice(-limit);
    const counted = listed.records.length;

    if (out.json) {
      out.data("", {
        total: listed.total,
        byReason,
        ...(counted < listed.total ? { counted } : {}),
        records,
        invalid: listed.invalid,
      });
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
