/** `plexus audit query [--agent DID] [--conversation C] [--type T] [--since TIME] [--until TIME] [--limit N]`. */
import { queryStore, type AuditMatch } from "@plexus/audit";
import { conversationOption, intOption, stringOption, typeOption, type CommandContext } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";
import { COMMAND, count, openLive, timeOption } from "./shared.js";

export async function queryAuditCommand({ common, values, out }: CommandContext): Promise<number> {
  const agent = stringOption(values, "agent", COMMAND);
  if (agent !== undefined && !agent.startsWith("did:"))
    throw new UsageError(`--agent ${JSON.stringify(agent)} is not a DID`, COMMAND);
  const conversation = conversationOption(values, COMMAND);
  const type = typeOption(values, COMMAND);
  const since = timeOption(values, "since");
  const until = timeOption(values, "until");
  const limit = intOption(values, "limit", COMMAND, 1);
  const filters = {
    ...(agent !== undefined ? { agent } : {}),
    ...(conversation !== undefined ? { conversation } : {}),
    ...(type !== undefined ? { type } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
  const live = await openLive(common);
  let found = 0;
  try {
    for await (const m of await queryStore({ nc: live.nc, mesh: common.mesh, store: live.store, ...filters })) {
      out.data(matchLine(m), m);
      found++;
    }
  } finally {
    await live.close();
  }
  if (!out.json) out.info(`plexus: ${count(found, "match", "matches")} in mesh "${common.mesh}"`);
  return 0;
}

/** `#n  time  kind  type  from → to  conv C  sealed h…` */
function matchLine(m: AuditMatch): string {
  const env = m.envelope;
  const parts = [`#${m.n}`, new Date(m.storedAt).toISOString(), m.kind];
  if (m.type !== undefined) parts.push(m.type);
  if (env)
    parts.push(`${shortDid(env.from)} → ${env.to !== undefined ? shortDid(env.to) : `topic ${env.topic ?? "?"}`}`);
  if (m.conversation !== undefined) parts.push(`conv ${m.conversation}`);
  if (m.record && "reason" in m.record) parts.push(`reason ${m.record.reason}`);
  parts.push(m.hash !== undefined ? `sealed ${m.hash.slice(0, 16)}…` : "not sealed yet");
  return parts.join("  ");
}
