/** The `plexus trust` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import { DEFAULT_OPERATOR_KEY } from "../../lib/defaults.js";
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "trust",
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
  subcommands: [
    {
      name: "add",
      summary: "make DID a trust anchor",
      usage: "plexus trust add DID [--role agent|issuer] [--reason TEXT] [--as OPERATOR]",
      load: () => import("./run.js").then((m) => ({ run: (ctx) => m.change("add", ctx) })),
    },
    {
      name: "remove",
      summary: "stop DID being a trust anchor",
      usage: "plexus trust remove DID [--role agent|issuer] [--reason TEXT] [--as OPERATOR]",
      load: () => import("./run.js").then((m) => ({ run: (ctx) => m.change("remove", ctx) })),
    },
    {
      name: "list",
      summary: "list the trust anchors",
      usage: "plexus trust list",
      load: () => import("./run.js").then((m) => ({ run: m.list })),
    },
  ],
};
