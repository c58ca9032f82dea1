/**
 * What each ErrorCode means on every transport: the CLI's exit code, the HTTP status, the JSON-RPC error code, whether
 * the same request may succeed later unchanged (retryable), and one line of help. ONE table, typed
 * `Record<ErrorCode, ErrorSpec>` so that a new code does not compile until it has a spec; the CLI, both registry HTTP
 * apps, the A2A gateway's REST and JSON-RPC bindings and MCP all read it (README "Errors" lists it, checked by a test).
 *
 * Codes fall in classes, and a class fixes the exit code and the JSON-RPC code (one-to-one), so a script can branch
 * on the exit code alone: 1 failure, 2 usage, 3 history does not hold, 4 sealer stalled, 5 proof not pinned,
 * 6 invalid input, 7 not found, 8 refused, 9 conflict, 10 unavailable (retry). 3, 4 and 5 keep the meanings
 * `audit verify` and `audit check-proof` documented before the table existed. JSON-RPC codes: the specification's own
 * where one fits (-32600 invalid request, -32602 invalid params, -32603 internal error), else the server-error range
 * -32060…-32066, clear of A2A's -32001…-32009 and the MCP SDK's -32000, -32001 and -32042.
 */
import { ErrorCode } from "./errors.js";

export interface ErrorSpec {
  /** Exit code of the `plexus` CLI. */
  readonly exitCode: number;
  /** HTTP status of the registry's and the gateway's HTTP answers. */
  readonly httpStatus: number;
  /** `error.code` of a JSON-RPC answer. */
  readonly jsonRpcCode: number;
  /** The same request may succeed later without change (after an outage, or once a node is ready or unsealed). */
  readonly retryable: boolean;
  /** One line: what to do about it. */
  readonly help: string;
}

/** The CLI's exit codes: 0 and one per class of error code. */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  HistoryBroken: 3,
  SealerStalled: 4,
  NotPinned: 5,
  InvalidInput: 6,
  NotFound: 7,
  Refused: 8,
  Conflict: 9,
  Unavailable: 10,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The JSON-RPC error code of each exit code's class (Ok has none). */
export const JSON_RPC_CODE_OF_EXIT: Readonly<Record<Exclude<ExitCode, 0>, number>> = {
  [ExitCode.Failure]: -32603,
  [ExitCode.Usage]: -32600,
  [ExitCode.HistoryBroken]: -32064,
  [ExitCode.SealerStalled]: -32065,
  [ExitCode.NotPinned]: -32066,
  [ExitCode.InvalidInput]: -32602,
  [ExitCode.NotFound]: -32060,
  [ExitCode.Refused]: -32061,
  [ExitCode.Conflict]: -32062,
  [ExitCode.Unavailable]: -32063,
};

function of(exitCode: Exclude<ExitCode, 0>, httpStatus: number, retryable: boolean, help: string): ErrorSpec {
  return { exitCode, httpStatus, jsonRpcCode: JSON_RPC_CODE_OF_EXIT[exitCode], retryable, help };
}
const failure = (help: string) => of(ExitCode.Failure, 500, false, help);
const invalid = (help: string, status = 400) => of(ExitCode.InvalidInput, status, false, help);
const notFound = (help: string) => of(ExitCode.NotFound, 404, false, help);
const refused = (help: string, status = 403) => of(ExitCode.Refused, status, false, help);
const conflict = (help: string) => of(ExitCode.Conflict, 409, false, help);
const unavailable = (help: string, status = 503) => of(ExitCode.Unavailable, status, true, help);
const history = (help: string, status = 503) => of(ExitCode.HistoryBroken, status, false, help);

export const ERROR_SPECS: Readonly<Record<ErrorCode, ErrorSpec>> = {
  [ErrorCode.Internal]: failure("an unexpected failure: rerun with PLEXUS_DEBUG=1 for the stack, and report it"),
  [ErrorCode.Failed]: failure("the message says what failed"),
  [ErrorCode.Usage]: of(ExitCode.Usage, 400, false, "see the command's --help"),
  [ErrorCode.NotFound]: notFound("no such endpoint: check the path"),
  [ErrorCode.MethodNotAllowed]: invalid("use the method the Allow header names", 405),
  [ErrorCode.InvalidArgument]: invalid("correct the value the message names"),
  [ErrorCode.InvalidDid]: invalid("give a DID (did:key:z…), or a key name where the command takes one"),
  [ErrorCode.KeyNotFound]: invalid("check the key name and --keys, or create the key: plexus keys new NAME"),
  [ErrorCode.KeyExists]: conflict("choose another name, or move the existing key away first"),
  [ErrorCode.KeyFileInvalid]: invalid(
    "the key file is damaged or not a Plexus key: restore it from a backup or shares",
  ),
  [ErrorCode.EnvelopeInvalid]: invalid("the message does not match schemas/envelope.json"),
  [ErrorCode.EnvelopeTooLarge]: invalid("send a smaller body (the limit is in the message)", 413),
  [ErrorCode.LimitExceeded]: invalid("make the value smaller or shallower (details.limit names the limit)", 413),
  [ErrorCode.SignatureInvalid]: refused("the signature does not verify with the signer's key"),
  [ErrorCode.NatsUnavailable]: unavailable("start NATS (plexus up) or check --nats, then retry"),
  [ErrorCode.JetStreamUnavailable]: unavailable(
    "JetStream has no leader here (a cluster without quorum, a server restarting): bring the servers back, then retry",
  ),
  [ErrorCode.NatsServerNotFound]: failure("install nats-server (npm install does) or set PLEXUS_NATS_SERVER"),
  [ErrorCode.NatsServerFailed]: failure("nats-server did not start: its output is in the message"),
  [ErrorCode.PublishFailed]: unavailable("NATS did not acknowledge the publish: retry"),
  [ErrorCode.Timeout]: unavailable("no answer in time: retry, or allow more time", 504),
  [ErrorCode.Closed]: unavailable("the connection or service was closed: reconnect and retry"),
  [ErrorCode.ConfigInvalid]: invalid("fix the setting the message names"),
  [ErrorCode.AuditFork]: history("two histories claim the same position: keep both and investigate", 409),
  [ErrorCode.AuditConflict]: conflict("another writer appended at that position: read again before writing"),
  [ErrorCode.AuditStoreFailed]: failure("the audit store failed: see the cause (PLEXUS_DEBUG=1)"),
  [ErrorCode.AuditSealerStalled]: of(
    ExitCode.SealerStalled,
    503,
    false,
    "nothing seals the newest events: see plexus audit status",
  ),
  [ErrorCode.AuditTampered]: history("the chain does not hold at the position named: treat the log as tampered", 409),
  [ErrorCode.ProofNotPinned]: of(
    ExitCode.NotPinned,
    422,
    false,
    "pin the checkpoint's signer: --signer DID with your registry's key",
  ),
  [ErrorCode.MeshNotFound]: notFound("check --mesh, or create the mesh: plexus init --mesh NAME"),
  [ErrorCode.RequestRefused]: refused("the registry refused the request: the message says why"),
  [ErrorCode.AgentNotFound]: notFound("no agent with this DID is known on this mesh: check the DID and --mesh"),
  [ErrorCode.RegistryUnavailable]: unavailable(
    "start a registry node (plexus up or plexus registry start), then retry",
  ),
  [ErrorCode.NotReady]: unavailable("the node is still catching up: retry shortly"),
  [ErrorCode.SplitInvalid]: invalid("choose k and n with 2 <= k <= n <= 255"),
  [ErrorCode.ShareInvalid]: invalid("the share is damaged or edited: use another custodian's share"),
  [ErrorCode.ShareDuplicate]: conflict("give shares from different custodians"),
  [ErrorCode.ShareSplitMismatch]: conflict("give shares of one split only"),
  [ErrorCode.SharesInsufficient]: invalid("give at least k shares"),
  [ErrorCode.ShareCommitmentMismatch]: refused("the shares do not rebuild the committed key", 422),
  [ErrorCode.Sealed]: unavailable("unseal the node with k custodians' shares: plexus registry unseal"),
  [ErrorCode.UnsealUnauthorized]: refused("sign the unseal request with a custodian's key"),
  [ErrorCode.UnsealNonceInvalid]: refused("fetch a fresh nonce (GET /v1/unseal/nonce) for each request", 401),
  [ErrorCode.CredentialInvalid]: refused("the credential does not verify: details.reason says why", 422),
  [ErrorCode.HistoryStreamWeakened]: history("restore the stream's settings, then restart the node"),
  [ErrorCode.HistoryStreamTruncated]: history(
    "history was lost: restore the stream from a backup, then restart the node",
  ),
  [ErrorCode.HistoryStreamRecreated]: history(
    "the stream was recreated: if on purpose (a restore), remove history-anchors.json and restart",
  ),
  [ErrorCode.HistoryStreamMissing]: history("the stream is gone: restore it from a backup, then restart the node"),
  [ErrorCode.KeyInUse]: conflict("another process uses this key on this mesh: stop it, or use another key"),
  [ErrorCode.ReplicasUnavailable]: invalid(
    "ask for at most as many replicas as the JetStream cluster has servers, or add servers",
  ),
};

const CODES = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && CODES.has(value);
}

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_SPECS[code];
}
export const exitCodeFor = (code: ErrorCode): number => ERROR_SPECS[code].exitCode;
export const httpStatusFor = (code: ErrorCode): number => ERROR_SPECS[code].httpStatus;
export const jsonRpcCodeFor = (code: ErrorCode): number => ERROR_SPECS[code].jsonRpcCode;
export const isRetryable = (code: ErrorCode): boolean => ERROR_SPECS[code].retryable;
