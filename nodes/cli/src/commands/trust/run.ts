/**
 * `plexus trust add|remove|list`: the mesh's trust anchors, EigenTrust's pre-trusted peers. They are log events
 * (TrustAnchorAdded / TrustAnchorRemoved) rather than a flag of each node, so every registry node of the mesh agrees;
 * changing them takes an operator key of the registry, as the kill switch does.
 */
import { TRUST_ANCHOR_ROLES, type TrustAnchorRole, type TrustAnchorView } from "@plexus/anp";
import { positionalArgs, stringOption, type CommandContext } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";
import { connectAgent, loadKey } from "../../session.js";
import { DEFAULT_OPERATOR_KEY } from "../../lib/defaults.js";
import { resolveAgent } from "../../lib/agent-ref.js";
import { columns } from "../../lib/columns.js";
import { refusal, withRegistry } from "../../lib/registry-request.js";

const COMMAND = "trust";
const CHANGE_OPTIONS = ["as", "role", "reason"] as const;

export async function change(
  action: "add" | "remove",
  { common, values, positionals, out }: CommandContext,
): Promise<number> {
  const [ref] = positionalArgs(positionals, ["DID"], COMMAND) as [string];
  const role = roleOption(stringOption(values, "role", COMMAND));
  const reason = stringOption(values, "reason", COMMAND);
  if (reason !== undefined && reason.length > 500)
    throw new UsageError("--reason must be at most 500 characters", COMMAND);
  const did = await resolveAgent(common, ref, COMMAND, "DID");
  const operator = await loadKey(common, stringOption(values, "as", COMMAND) ?? DEFAULT_OPERATOR_KEY, COMMAND);
  const agent = await connectAgent(common, operator, out);
  try {
    const answer = await agent.registry.trust(operator, action, did, role, reason).catch((err: unknown) => {
      throw refusal(err, `trust ${action} of ${did}`);
    });
    const done = answer.anchored
      ? `${answer.did} is a trust anchor (${answer.role})`
      : `${answer.did} is no longer a trust anchor (${answer.role})`;
    out.data(`${done}; log position ${answer.seq}, by ${operator.did}`, {
      ...answer,
      by: operator.did,
      ...(reason !== undefined ? { reason } : {}),
    });
    return 0;
  } finally {
    await agent.close();
  }
}

export async function list({ common, values, positionals, out }: CommandContext): Promise<number> {
  positionalArgs(positionals, [], COMMAND);
  const given = CHANGE_OPTIONS.filter((o) => values[o] !== undefined);
  if (given.length > 0) throw new UsageError(`--${given[0]} applies to trust add and remove, not list`, COMMAND);
  const { result } = await withRegistry(common, COMMAND, (registry) => registry.trustAnchors());
  if (out.json) out.data("", result);
  else if (result.length === 0)
    out.data(`no trust anchors in mesh "${common.mesh}" (add one with: plexus trust add DID)`, undefined);
  else out.data(anchorLines(result), undefined);
  return 0;
}

function roleOption(value: string | undefined): TrustAnchorRole | undefined {
  if (value === undefined || (TRUST_ANCHOR_ROLES as readonly string[]).includes(value))
    return value as TrustAnchorRole | undefined;
  throw new UsageError(`--role must be ${TRUST_ANCHOR_ROLES.join(" or ")}, got ${JSON.stringify(value)}`, COMMAND);
}

/** One line per anchor: the full DID (to pass to remove), role, membership, when and by whom, and why. */
function anchorLines(anchors: readonly TrustAnchorView[]): string {
  const rows = anchors.map((a) => [
    a.did,
    a.role,
    a.member ? "member" : "not a member",
    `added ${new Date(a.at).toISOString()} by ${shortDid(a.by)}${a.reason ? `: ${a.reason}` : ""}`,
  ]);
  return columns(rows);
}
