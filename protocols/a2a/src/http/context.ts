/** The ServerCallContext of one HTTP call: A2A version and extensions from the headers, the caller, the connection. */
import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import { A2A_VERSION_HEADER, Extensions, HTTP_EXTENSION_HEADER } from "@a2a-js/sdk";
import { defaultServerCallContextBuilder, UnauthenticatedUser, type ServerCallContext } from "@a2a-js/sdk/server";
import { describeCaller } from "../caller.js";
import type { CallerInfo } from "../conventions.js";
import { CallState } from "../request-handler.js";

function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // not served by @hono/node-server (app.fetch called directly)
  }
}

export function callContext(c: Context, transport: CallerInfo["transport"], signal: AbortSignal): ServerCallContext {
  const headers = c.req.raw.headers;
  const ctx = defaultServerCallContextBuilder({
    extensions: Extensions.parseServiceParameter(headers.get(HTTP_EXTENSION_HEADER) ?? undefined),
    user: new UnauthenticatedUser(),
    headers: Object.fromEntries(headers),
    ...(headers.has(A2A_VERSION_HEADER) ? { requestedVersion: headers.get(A2A_VERSION_HEADER)! } : {}),
  });
  ctx.state.set(CallState.Caller, describeCaller(transport, headers, remoteAddress(c)));
  ctx.state.set(CallState.Signal, signal);
  return ctx;
}
