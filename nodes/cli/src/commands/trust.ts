/**
 * `plexus trust add|remove|list`: the mesh's trust anchors, EigenTrust's pre-trusted peers. They are log events
 * (TrustAnchorAdded / TrustAnchorRemoved) rather than a flag of each node, so every registry node of the mesh agrees;
 * changing them takes an operator key of the registry, as the kill switch does.
 */
import { TRUST_ANCHOR_ROLES, type TrustAnchorRole, type TrustAnchorView } from "@plexus/anp";
import { positionalArgs, stringOption, type CommandContext, type CommandDef } from "../common-options.js";
import { UsageError } from "../errors.js";
import { shortDid } from "../output.js";
import { connectAgent, loadKey } from "../session.js";
import { DEFAULT_OPERATOR_KEY } from "./agent-suspend.js";
import { columns, refusal, resolveAgent, withRegistry } from "./registry.js";

const COMMAND = "trust";
const CHANGE_OPTIONS = ["as", "role", "reason"] as const;

export const trustCommand: CommandDef = {
  name: COMMAND,
  summary: "add, remove or list the mesh's trust anchors (the agents and issuers reputation pre-trusts)",
  usage: "plexus trust add|remove DID [--role agent|issuer] [--reason TEXT] [--as OPERATOR] | plexus trust list",
  help: `Trust anchors are EigenTrust's pre-trusted peers: the reputation every agent gets flows from them, which is
what keeps a ring of fake agents rating each other from lifting itself up. They are kept in the mesh's log
(TrustAnchorAdded / TrustAnchorRemoved, naming who asked and why), so every registry node of the mesh agrees. The
registry's own key (the operator's) is an anchor too whenever it is a member. Without any anchor nobody is trusted:
no agent's ratings weigh, and discovery marks every score "unanchored".

plexus trust add DID [--role agent|issuer] [--reason TEXT] [--as OPERATOR]
  Makes DID a trust anchor. --role agent (default): DID itself is pre-trusted (it need not have joined yet);
  --role issuer: the agents holding a live capability credential issued by DID are. Adding an anchor twice changes
  nothing. An agent anchor that rotates its key stays one under its new DID.
plexus trust remove DID [--role agent|issuer] [--reason TEXT] [--as OPERATOR]
  Removes it (refused when DID is not an anchor in that role).
plexus trust list
  One line per anchor, in the order they were added: DID, role, member or not, when and by whom, why.

DID is a did:key or a key name in --keys. OPERATOR is a key the registry accepts as operator (registry start
--operator DID; the registry's own key always is): default "${DEFAULT_OPERATOR_KEY}". A registry started with
--trust-anchor DID (or plexus up --trust-anchor) adds DID this way itself once it has caught up with the log; taking
the flag away later does not remove it: use plexus trust remove (and drop the flag, or the next start adds it again).

--json: add and remove print {"did","role","anchored","seq","by","reason"}; list prints one JSON array of
{"did","role","by","at","seq","reason","member"}.

Options:
  --role agent|issuer   what the anchor pre-trusts (default agent)
  --reason TEXT         why (kept in the log; at most 500 characters)
  --as OPERATOR         the operator key that signs the request (default "${DEFAULT_OPERATOR_KEY}")`,
  options: {
    as: { type: "string" },
    role: { type: "string" },
    reason: { type: "string" },
  },
  async run(context) {
    const [sub, ...rest] = context.positionals;
    if (sub === undefined) throw new UsageError("missing a subcommand: add, remove or list", COMMAND);
    if (sub === "list") return list({ ...context, positionals: rest });
    if (sub === "add" || sub === "remove") return change(sub, { ...context, positionals: rest });
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use add, remove or list`, COMMAND);
  },
};

async function change(action: "add" | "remove", { common, values, positionals, out }: CommandContext): Promise<number> {
  const [ref] = positionalArgs(positionals, ["DID"], COMMAND) as [string];
  const role = roleOption(stringOption(values, "role", COMMAND));
  const reason = stringOption(values, "reason", COMMAND);
  if (reason !== undefined && reason.length > 500) throw new UsageError("--reason must be at most 500 characters", COMMAND);
  const did = await resolveAgent(common, ref, COMMAND, "DID");
  const operator = await loadKey(common, stringOption(values, "as", COMMAND) ?? DEFAULT_OPERATOR_KEY, COMMAND);
  const agent = await connectAgent(common, operator, out);
  try {
    const answer = await agent.registry.trust(operator, action, did, role, reason).catch((err: unknown) => {
      throw refusal(err, `trust ${action} of ${did}`);
    });
    const done = answer.anchored ? `${answer.did} is a trust anchor (${answer.role})` : `${answer.did} is no longer a trust anchor (${answer.role})`;
    out.data(`${done}; log position ${answer.seq}, by ${operator.did}`, { ...answer, by: operator.did, ...(reason !== undefined ? { reason } : {}) });
    return 0;
  } finally {
    await agent.close();
  }
}

async function list({ common, values, positionals, out }: CommandContext): Promise<number> {
  positionalArgs(positionals, [], COMMAND);
  const given = CHANGE_OPTIONS.filter((o) => values[o] !== undefined);
  if (given.length > 0) throw new UsageError(`--${given[0]} applies to trust add and remove, not list`, COMMAND);
  const { result } = await withRegistry(common, COMMAND, (registry) => registry.trustAnchors());
  if (out.json) out.data("", result);
  else if (result.length === 0) out.data(`no trust anchors in mesh "${common.mesh}" (add one with: plexus trust add DID)`, undefined);
  else out.data(anchorLines(result), undefined);
  return 0;
}

function roleOption(value: string | undefined): TrustAnchorRole | undefined {
  if (value === undefined || (TRUST_ANCHOR_ROLES as readonly string[]).includes(value)) return value as TrustAnchorRole | undefined;
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
