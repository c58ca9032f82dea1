/**
 * The `plexus audit` entry of the command table: one subcommand per file in this folder, loaded on dispatch; each
 * takes only its own options (SUBCOMMAND_OPTIONS), another subcommand's is a usage error.
 */
import type { CommandImpl, CommandSpec, OptionsConfig } from "../../table/types.js";

/** Exit code of `audit verify` when the chain does not hold. */
export const EXIT_TAMPERED = 3;
/** Exit code of `audit verify` when the chain holds but nothing seals the events after it, or a trusted sealer reports a problem. */
export const EXIT_SEALER_STALLED = 4;
/** Exit code of `audit check-proof` when the proof holds but no --signer pinned who may sign its checkpoint. */
export const EXIT_NOT_PINNED = 5;
/** Exit code of `audit check-proof` when the proof does not hold (AUDIT_TAMPERED: the same as a chain that does not). */
export const EXIT_INVALID_PROOF = EXIT_TAMPERED;

/** The options each subcommand takes. */
const SUBCOMMAND_OPTIONS: Record<string, readonly string[]> = {
  status: ["signer", "stall-after"],
  verify: ["from", "to", "file", "signer", "witness", "quorum", "max-unsealed", "stall-after"],
  export: ["since", "until", "out"],
  query: ["agent", "conversation", "type", "since", "until", "limit"],
  seal: ["registry-key", "data", "http", "id"],
  prove: ["position", "from-checkpoint", "out", "signer"],
  "check-proof": ["signer", "origin"],
  witness: ["as", "dir", "signer", "once", "interval"],
};

const OPTIONS: OptionsConfig = {
  from: { type: "string" },
  to: { type: "string" },
  file: { type: "string" },
  signer: { type: "string", multiple: true },
  since: { type: "string" },
  until: { type: "string" },
  out: { type: "string" },
  agent: { type: "string" },
  conversation: { type: "string" },
  type: { type: "string" },
  limit: { type: "string" },
  "registry-key": { type: "string" },
  data: { type: "string" },
  http: { type: "string" },
  id: { type: "string" },
  position: { type: "string" },
  "from-checkpoint": { type: "string" },
  as: { type: "string" },
  dir: { type: "string" },
  once: { type: "boolean" },
  interval: { type: "string" },
  witness: { type: "string", multiple: true },
  origin: { type: "string" },
  quorum: { type: "string" },
  "max-unsealed": { type: "string" },
  "stall-after": { type: "string" },
};

const USAGE = `plexus audit status [--signer DID] [--stall-after SECONDS]
  plexus audit verify [--from N] [--to N] [--file EXPORT] [--signer DID] [--witness FILE_OR_DIR]... [--quorum K] [--max-unsealed N] [--stall-after SECONDS]
  plexus audit export [--since TIME] [--until TIME] [--out FILE]
  plexus audit query [--agent DID] [--conversation C] [--type T] [--since TIME] [--until TIME] [--limit N]
  plexus audit seal [--registry-key NAME] [--data DIR|off] [--http HOST:PORT|off] [--id ID]
  plexus audit prove ID | --position N | --from-checkpoint FILE [--signer DID] [--out FILE]
  plexus audit check-proof FILE --signer DID [--mesh NAME | --origin ORIGIN]
  plexus audit witness --as NAME [--dir DIR] [--signer DID] [--once] [--interval MS]`;

type Run = CommandImpl["run"];
const LEAVES: { name: string; summary: string; load: () => Promise<Run>; args?: CommandSpec["args"] }[] = [
  {
    name: "status",
    summary: "head, sealer lag, last checkpoint and the sealers that run",
    load: () => import("./status.js").then((m) => m.statusAudit),
  },
  {
    name: "verify",
    summary: "recompute the chain from the raw log and check every checkpoint",
    load: () => import("./verify.js").then((m) => m.verifyAudit),
  },
  {
    name: "export",
    summary: "the sealed log as JSON Lines",
    load: () => import("./export.js").then((m) => m.exportAuditCommand),
  },
  {
    name: "query",
    summary: "envelopes with their position and link hash",
    load: () => import("./query.js").then((m) => m.queryAuditCommand),
  },
  {
    name: "seal",
    summary: "run a sealer for the mesh until Ctrl-C",
    load: () => import("./seal.js").then((m) => m.sealAudit),
  },
  {
    name: "prove",
    summary: "an inclusion or consistency proof against the newest checkpoint",
    load: () => import("./prove.js").then((m) => m.proveAudit),
    args: [{ name: "ID", optional: true }],
  },
  {
    name: "check-proof",
    summary: "check a proof file offline",
    load: () => import("./check-proof.js").then((m) => m.checkProofAudit),
    args: [{ name: "FILE", complete: "file" }],
  },
  {
    name: "witness",
    summary: "cosign consistent checkpoints as a witness",
    load: () => import("./witness.js").then((m) => m.witnessAudit),
  },
];

const subcommands: CommandSpec[] = LEAVES.map(({ name, summary, load, args }) => ({
  name,
  summary,
  usage:
    USAGE.split("\n")
      .map((l) => l.trim())
      .find((l) => l.startsWith(`plexus audit ${name} `)) ?? `plexus audit ${name}`,
  options: Object.fromEntries((SUBCOMMAND_OPTIONS[name] ?? []).map((o) => [o, OPTIONS[o] as OptionsConfig[string]])),
  args: args ?? [],
  optionValues: { file: "file", out: "file", witness: "file", dir: "file", data: "file", "from-checkpoint": "file" },
  load: async () => ({ run: await load() }),
}));

export const command: CommandSpec = {
  name: "audit",
  summary: "the hash-chained audit log: status, verify, export, query, seal, prove, check-proof, witness",
  usage: USAGE,
  help: `Every event of the mesh's log (messages, receipts, rejection records, dead letters, registry events) is sealed
into a hash chain, h_n = SHA-256(h_{n-1} ‖ n ‖ SHA-256(subject ‖ 0x00 ‖ payload)), and the chain's head is signed
every N links or T ms by the registry's key (a checkpoint).

  status   head position, sealer lag (mesh log end − chain size) and how long the oldest waiting event has
           waited, last checkpoint and its signer, and the sealers that run: which one writes, each one's host,
           pid, state, head and lag. "STALLED" first, with the reason, when the chain shows that nothing seals
           (events waited --stall-after seconds, default 15, and the head does not move while status looks again
           2 s later), when links past the newest checkpoint (by --signer's key, when given) were signed longer
           ago than twice that (someone appends links, nothing with the registry key signs them), or when a live
           sealer whose record is signed by a trusted key reports it is stalled, refused or failed. The sealers' records and the writer lease live in a bucket anyone with the mesh's
           service credentials can write: a record is believed only for the problems it reports, never over
           the chain, and with --signer only when that key (or one it was rotated to) signed it. --json: {…,
           "sealers":[…,"trusted"],"oldestWaitingMs","stalled","stalledReasons","warnings","pinned"}.
  verify   recompute the chain from the raw log (or an export file) and check every checkpoint in range.
           Exit 0 and the number of events verified and the head when all holds; exit ${EXIT_TAMPERED} naming the
           first bad position and its kind (altered, missing, inserted, reordered, forked, truncated,
           checkpoint_mismatch, checkpoint_signature; fork, rollback with --witness; checkpoint_missing with
           --signer) when it does not. With --witness (a witness's state file or folder, the copy outside the
           mesh): the witness's newest cosigned checkpoint must verify (its cosignature; the log's signature by
           --signer, else by the key the witness pinned) and the live log (or, with --file, an export from
           position 1) must give its root at its size:
           "rollback" when the log is shorter, "fork" when it gives another root; with --quorum K at least K of
           the witnesses given must hold (default: all). With --signer: "checkpoint_missing" when no checkpoint by
           the pinned key covers the log to within --max-unsealed events (default 1,000) of its end. Without a
           witness or a pinned signer, a log rewritten by someone holding the mesh's credentials (every link
           recomputed, checkpoints dropped) is NOT detectable. On the live stores, a chain that holds
           while nothing seals the events after it (judged as in status, --stall-after) or while a trusted
           sealer reports it is stalled, refused or failed (its log recreated, its settings weakened, a fork, no
           progress, cannot keep up) is not ok: "SEALER STALLED: …" on stderr and exit ${EXIT_SEALER_STALLED}
           (events past the chain's end are then not being sealed, whatever the chain says). A mesh sealed only
           now and then: give a --stall-after longer than the time between sealings.
           --json: one object {"ok","verified","head":{"size","hash"},"from","checkpoints",…,"sealers":
           {"stalled","reasons"}} and on failure "position", "kind", "detail".
  export   the sealed log as JSON Lines (format plexus-audit/1): a header, one line per position (event
           payload in base64, its event hash and link hash), then the checkpoints. A time range exports a
           contiguous run of positions with the hash before it, so it verifies on its own (verify --file).
  query    envelopes, oldest first, with their position and link hash; rejection and dead-letter records that
           name the agent too. --json: one object per match.
  seal     run a sealer for the mesh until Ctrl-C (SIGINT) or SIGTERM. Several may run on one mesh (here, in
           plexus up, in plexus registry start): one holds the writer lease and seals, the others stand by and
           take over within about 5 s when it stops, and within 15 s when it holds the lease but leaves events
           unsealed (a standby judges the writer by the chain, not by the lease; a lease value not signed by the
           registry key holds nothing); two writers at once are still safe (every append states the chain size it
           expects). Each writes a signed presence record every second (KV PLEXUS_<MESH>_SEALERS).
           A sealer that finds its log recreated or cut, its settings weakened, a fork, no progress for 10 s, or
           a lag of 50,000+ events not coming down for 30 s says so on stderr ("plexus: error: …"), reports it in
           its record and on /readyz (503), and does not seal over it. --json: {"sealer","mesh","nats","signer",
           "role","state","http","data"}.
  prove    an inclusion proof (RFC 9162) of one event, by envelope ID or --position N, against the newest
           checkpoint: JSON with the checkpoint (a C2SP tlog-checkpoint signed note, origin plexus.mesh/<mesh>),
           position, tree size, the event's subject and payload, and the proof hashes. With --from-checkpoint FILE
           (a checkpoint note or an earlier proof file): a consistency proof from that checkpoint to the newest.
  check-proof  check a proof file offline (no NATS): the checkpoint note's signature by --signer, that it is the
           log asked about (--origin, else plexus.mesh/<mesh> of --mesh, $PLEXUS_MESH or "default"), then the
           proof. Exit 0 valid and pinned; ${EXIT_NOT_PINNED} the proof holds but no --signer pinned the checkpoint's key
           ("NOT PINNED": the file names its own signer, so anyone can make one that holds); ${EXIT_INVALID_PROOF}
           invalid (AUDIT_TAMPERED, as verify) with a reason: malformed, checkpoint_signature, origin (a checkpoint of another log), ambiguous_subject (a
           subject with NUL: its leaf reads as another event's), inclusion, consistency. --json: {"ok","kind",
           "pinned","origin","signers","size","root",…} or {"ok":false,"reason","detail","pinned","origin"}
           (reason "not_pinned" with exit ${EXIT_NOT_PINNED}).
  witness  a witness for the mesh: reads the newest checkpoint, gets a consistency proof from the last one it
           cosigned, and cosigns (C2SP tlog-cosignature, key NAME in --keys, created if missing) only a checkpoint
           signed by the pinned log key (--signer, else the key of the first checkpoint it sees, pinned in its
           state from then on; keys the log says it was rotated to, RegistryKeyRotated, are added), for this
           mesh, and consistent. Its state (the last cosigned note) is written
           atomically, mode 0600, to DIR/state.json (default: witness/NAME/<mesh> next to the key folder): keep
           that folder outside the mesh's account. Each cosigned note is also published on
           plexus-audit.<mesh>.cosig.NAME. A rollback or fork: "plexus: error: …", exit ${EXIT_TAMPERED}, state untouched
           (a witness never moves past a refusal: someone has to look). --once: witness up to the newest checkpoint
           and exit; else polls every --interval ms (default 2000) until Ctrl-C. --json: {"ok","witness","did",
           "size","root","advanced","state","subject"} or {"ok":false,"reason","detail","size"}. A DIR holding
           the state of another witness, mesh or --signer: exit 6 (invalid input).

Options:
  --from N, --to N    verify only these positions (from > 1 starts from the stored hash of position N-1)
  --file EXPORT       verify an export file instead of the live stores (needs no NATS)
  --signer DID        require checkpoints signed by this key (verify, check-proof; prove: use only checkpoints it signed;
                      status, verify: believe only sealer records it signed)
                      (repeatable; env PLEXUS_AUDIT_SIGNERS, comma-separated);
                      keys it was rotated to (RegistryKeyRotated in the log) are trusted after it
  --since, --until    TIME: ISO 8601 (2026-11-22T10:00:00Z) or a time ago (-30s, -15m, -2h, -1d, -1w)
  --out FILE          write the export or the proof to FILE (default: stdout)
  --registry-key NAME (seal) the key in --keys that signs checkpoints and presence records (default "registry";
                      created if missing; every sealer of a mesh should use the registry's key)
  --data DIR|off      (seal) where the history streams' creation times are kept across restarts (default
                      sealer/<mesh> next to the key folder; off: in memory, so a log replaced while it was down
                      goes unnoticed)
  --http HOST:PORT|off (seal) serve /healthz, /readyz (200 or 503) and /v1/status there, as {"data":status,
                      "asOf":{"seq","at"}} (seq: the log position sealed); default off; port 0 picks one
  --id ID             (seal) this sealer's name in status (default <host>-<pid>)
  --origin ORIGIN     (check-proof) the log the proof must be of, for a deployment with its own checkpoint origin
                      (default plexus.mesh/<mesh>)
  --witness FILE_OR_DIR  (verify, live or --file) a witness's state (repeatable); --quorum K: at least K must hold
  --max-unsealed N    (verify, with --signer) events past the newest pinned checkpoint tolerated (default 1000)
  --stall-after SECONDS (status, verify) events unsealed this long, with a head that does not move, mean nothing
                      seals the mesh (default 15)
  --as NAME           (witness) the witness's name and key; --dir DIR its folder; --once one round then exit
  --position N        prove: the event at position N (mesh stream sequence)
  --from-checkpoint FILE  prove: a consistency proof from this older checkpoint
  --agent DID         envelopes sent by or to DID, and records naming it
  --conversation C, --type T, --limit N

Progress of verify and export shows on stderr when it is a terminal, never with --json.
Exit codes: 0 ok, 1 failure (NATS, no audit chain yet), 2 usage, ${EXIT_TAMPERED} verify found a bad position or
check-proof an invalid proof, ${EXIT_SEALER_STALLED} verify found the chain sound but nothing sealing after it (or a sealer stalled),
${EXIT_NOT_PINNED} check-proof: the proof holds but its signer was not pinned (no --signer), 6 a file that cannot be read
or holds no state or note, 7 no such mesh.`,
  subcommands,
};
