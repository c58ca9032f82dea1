/**
 * How the gateway's two bindings answer an error. An A2A protocol error (task not found, malformed request, …) keeps
 * @a2a-js/sdk's mapping. Anything else is a Plexus error: its ErrorCode (a NATS client outage counts as
 * NATS_UNAVAILABLE or TIMEOUT; an unexpected error as INTERNAL, without its text) gives the HTTP status and the JSON-RPC
 * code from ERROR_SPECS in @plexus/core, and both bindings carry the code the way A2A carries its own: a
 * google.rpc.ErrorInfo `{reason: CODE, domain: "plexus.dev", metadata: {retryable, help}}`, in REST's `error.details`
 * and in JSON-RPC's `error.data` (an array, as the SDK's own errors have it). So an outage is 503 on REST and -32063
 * on JSON-RPC, and both say REGISTRY_UNAVAILABLE (say) and retryable "true".
 */
import { A2AError, ERROR_INFO_TYPE, restStatusFor, toJsonRpcError, toRestErrorBody } from "@a2a-js/sdk/errors";
import {
  ErrorCode,
  httpStatusFor,
  isPlexusError,
  jsonRpcCodeFor,
  toWireError,
  wireError,
  type WireError,
} from "@plexus/core";

/** ErrorInfo.domain of the Plexus codes. */
export const PLEXUS_ERROR_DOMAIN = "plexus.dev";

/** NATS client errors that mean the server could not be reached or did not answer in time. */
const NATS_OUTAGE = /^(NoRespondersError|ClosedConnectionError|ConnectionError|RequestError)$/;

/** google.rpc.Code names for the statuses the table uses (REST's `error.status`). */
const GRPC_STATUS: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  405: "UNIMPLEMENTED",
  409: "ABORTED",
  413: "OUT_OF_RANGE",
  422: "FAILED_PRECONDITION",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL", // google.rpc.Code INTERNAL (the Plexus code of the same name is ErrorCode.Internal)
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** The Plexus wire error of anything that is not an A2A error. */
export function plexusWireError(err: unknown): WireError {
  if (!isPlexusError(err) && err instanceof Error) {
    if (err.name === "TimeoutError") return wireError(ErrorCode.Timeout, err.message);
    if (NATS_OUTAGE.test(err.name)) return wireError(ErrorCode.NatsUnavailable, err.message);
  }
  return toWireError(err);
}

export function errorInfo(wire: WireError): Record<string, unknown> {
  const metadata = { retryable: String(wire.retryable), ...(wire.help !== undefined ? { help: wire.help } : {}) };
  return { "@type": ERROR_INFO_TYPE, reason: wire.code, domain: PLEXUS_ERROR_DOMAIN, metadata };
}

/** The HTTP status of a REST error answer (`given` wins, as for a route that knows better, e.g. 404 or 413). */
export function restStatus(err: unknown, given?: number): number {
  if (given !== undefined) return given;
  return err instanceof A2AError ? restStatusFor(err) : httpStatusFor(plexusWireError(err).code);
}

/** The google.rpc.Status body of a REST error answer. */
export function restErrorBody(err: unknown, status = restStatus(err)): unknown {
  if (err instanceof A2AError) return toRestErrorBody(err, status);
  const wire = plexusWireError(err);
  return {
    error: {
      code: status,
      status: GRPC_STATUS[status] ?? "UNKNOWN",
      message: wire.message,
      details: [errorInfo(wire)],
    },
  };
}

/** The JSON-RPC error object. */
export function jsonRpcErrorObject(err: unknown): { code: number; message: string; data?: unknown } {
  if (err instanceof A2AError) return toJsonRpcError(err);
  const wire = plexusWireError(err);
  return { code: jsonRpcCodeFor(wire.code), message: wire.message, data: [errorInfo(wire)] };
}
