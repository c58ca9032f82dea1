/**
 * The JSON-RPC transport on Hono: @a2a-js/sdk's own JsonRpcTransportHandler does the protocol; this adds what its
 * Express adapter does around it (content type, JSON parsing, version check, SSE for the streaming methods). Every
 * failure is a JSON-RPC error object (A2A's codes via mapToJSONRPCError) in an HTTP 200, as the SDK answers.
 */
import type { Context } from "hono";
import { A2A_ERROR_CODE, ContentTypeNotSupportedError } from "@a2a-js/sdk/errors";
import { JsonRpcTransportHandler, validateVersion } from "@a2a-js/sdk/server";
import { parseJson } from "@plexus/core";
import { callContext } from "./context.js";
import { resolveAgent, type GatewayHttpDeps } from "./deps.js";
import { sseResponse } from "./sse.js";

type RpcId = string | number | null;

function rpcError(id: RpcId, error: unknown): Response {
  const body = { jsonrpc: "2.0", id, error: JsonRpcTransportHandler.mapToJSONRPCError(error) };
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
    return rpcError(null, new ContentTypeNotSupportedError(`Unsupported Content-Type "${type}"; expected application/json.`));
  }
  // Under the mesh's JSON limits: a body nested thousands deep is a parse error here, not a stack overflow later.
  const read = parseJson(await c.req.text());
  if (!read.ok) return Response.json({ jsonrpc: "2.0", id: null, error: { code: A2A_ERROR_CODE.PARSE_ERROR, message: `Invalid JSON payload (${read.reason}): ${read.detail}` } });
  const body = read.value;
  const id = idOf(body);
  const abort = new AbortController();
  try {
    const found = await resolveAgent(deps, token);
    if (!found.ok) return rpcError(id, found.error);
    const ctx = callContext(c, "JSONRPC", AbortSignal.any([c.req.raw.signal, abort.signal]));
    validateVersion(ctx.requestedVersion, found.agent.card, "JSONRPC");
    const out = await new JsonRpcTransportHandler(found.agent.handler).handle(body as Record<string, unknown>, ctx);
    if (!isStream(out)) return Response.json(out);
    const first = await out.next();
    return sseResponse(first, {
      iterator: out,
      abort,
      toData: (event) => event,
      toError: (err) => ({ jsonrpc: "2.0", id, error: JsonRpcTransportHandler.mapToJSONRPCError(err) }),
      ...(deps.onError ? { onError: deps.onError } : {}),
    });
  } catch (err) {
    return rpcError(id, err);
  }
}
