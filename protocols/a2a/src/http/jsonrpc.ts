/**
 * The JSON-RPC transport on Hono: @a2a-js/sdk's own JsonRpcTransportHandler does the protocol; this adds what its
 * Express adapter does around it (content type, JSON parsing, version check, SSE for the streaming methods). Every
 * failure is a JSON-RPC error object in an HTTP 200, as the SDK answers: A2A's codes for A2A errors, the Plexus
 * code's JSON-RPC code and an ErrorInfo naming it for the rest (errors.ts). The SDK's handler catches what the request
 * handler throws and maps it itself, losing the code; so the handler is wrapped to keep the thrown error, and a
 * Plexus one's answer is mapped again here.
 */
import type { Context } from "hono";
import { A2A_ERROR_CODE, A2AError, ContentTypeNotSupportedError } from "@a2a-js/sdk/errors";
import { JsonRpcTransportHandler, validateVersion } from "@a2a-js/sdk/server";
import { ErrorCode, jsonRpcCodeFor, parseJson } from "@plexus/core";
import { callContext } from "./context.js";
import { resolveAgent, type GatewayHttpDeps } from "./deps.js";
import { jsonRpcErrorObject } from "./errors.js";
import { sseResponse } from "./sse.js";

type RpcId = string | number | null;

function rpcError(id: RpcId, error: unknown): Response {
  const body = { jsonrpc: "2.0", id, error: jsonRpcErrorObject(error) };
  return Response.json(body, { status: 200 });
}

function idOf(body: unknown): RpcId {
  const id = typeof body === "object" && body !== null ? (body as { id?: unknown }).id : undefined;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

function isStream(x: unknown): x is AsyncGenerator<unknown, void, undefined> {
  return typeof (x as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === "function";
}

export async function handleJsonRpc(c: Context, deps: GatewayHttpDeps, token: string): Promise<Response> {
  const type = c.req.header("content-type");
  if (type && type.split(";", 1)[0]!.trim().toLowerCase() !== "application/json") {
    return rpcError(
      null,
      new ContentTypeNotSupportedError(`Unsupported Content-Type "${type}"; expected application/json.`),
    );
  }
  // Under the mesh's JSON limits: a body nested thousands deep is a parse error here, not a stack overflow later.
  const read = parseJson(await c.req.text());
  if (!read.ok)
    return Response.json({
      jsonrpc: "2.0",
      id: null,
      error: { code: A2A_ERROR_CODE.PARSE_ERROR, message: `Invalid JSON payload (${read.reason}): ${read.detail}` },
    });
  const body = read.value;
  const id = idOf(body);
  const abort = new AbortController();
  try {
    const found = await resolveAgent(deps, token);
    if (!found.ok) return rpcError(id, found.error);
    const ctx = callContext(c, "JSONRPC", AbortSignal.any([c.req.raw.signal, abort.signal]));
    validateVersion(ctx.requestedVersion, found.agent.card, "JSONRPC");
    const thrown = keepingThrown(found.agent.handler);
    const out = await new JsonRpcTransportHandler(thrown.handler).handle(body as Record<string, unknown>, ctx);
    if (!isStream(out)) return Response.json(remapped(out, thrown.error(), deps));
    const first = await out.next();
    return sseResponse(first, {
      iterator: out,
      abort,
      toData: (event) => event,
      toError: (err) => ({ jsonrpc: "2.0", id, error: jsonRpcErrorObject(err) }),
      ...(deps.onError ? { onError: deps.onError } : {}),
    });
  } catch (err) {
    reportUnexpected(err, deps);
    return rpcError(id, err);
  }
}

/** What a caller reads as INTERNAL ("internal error") goes to onError, so its text is not lost. */
function reportUnexpected(err: unknown, deps: GatewayHttpDeps): void {
  if (!(err instanceof A2AError) && jsonRpcErrorObject(err).code === jsonRpcCodeFor(ErrorCode.Internal))
    deps.onError?.(err);
}

/** The handler, wrapped so that the last error one of its methods threw (or rejected with) can be read back. */
function keepingThrown<T extends object>(handler: T): { handler: T; error: () => unknown } {
  let last: unknown;
  const keep = (err: unknown): never => {
    last = err;
    throw err;
  };
  const wrapped = new Proxy(handler, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise ? result.catch(keep) : result;
        } catch (err) {
          return keep(err);
        }
      };
    },
  });
  return { handler: wrapped, error: () => last };
}

/** An error answer the SDK mapped from a non-A2A error is mapped again from that error, keeping its Plexus code. */
function remapped(out: unknown, thrown: unknown, deps: GatewayHttpDeps): unknown {
  const answer = out as { error?: unknown } | null;
  if (
    thrown === undefined ||
    thrown instanceof A2AError ||
    typeof answer !== "object" ||
    answer === null ||
    answer.error === undefined
  )
    return out;
  reportUnexpected(thrown, deps);
  return { ...answer, error: jsonRpcErrorObject(thrown) };
}
