/**
 * The MCP endpoint over Streamable HTTP in stateless mode, on Web Standard Request/Response (mounts in hono, or any
 * fetch-style server): each POST gets a new McpServer and transport, answered as JSON; GET and DELETE (SSE streams
 * and sessions) are 405. Host/Origin checks run first (host-guard.ts). A request refused before MCP sees it is a
 * JSON-RPC error with the HTTP status and JSON-RPC code of its ErrorCode's spec (@plexus/core) and the wire error as
 * `data` (403 REQUEST_REFUSED, 405 METHOD_NOT_ALLOWED, 503 NOT_READY, 500 INTERNAL).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { ErrorCode, httpStatusFor, jsonRpcCodeFor, wireError } from "@plexus/core";
import { rebindingRefusal, type ListenAddress } from "./host-guard.js";

export type McpHttpHandler = (request: Request) => Promise<Response>;

export interface McpHttpOptions {
  /** A new server for each request (stateless mode: a server serves one transport). */
  server: () => McpServer | Promise<McpServer>;
  /** Where the HTTP server listens: the Host and Origin checks derive from it. */
  address: ListenAddress | (() => ListenAddress | undefined);
  /** More Host values to accept (host:port where clients reach the server: a published port, a proxy); exact names. */
  allowedHosts?: readonly string[];
  /** Errors answered as 500 (the client sees a generic JSON-RPC internal error). */
  onError?: (err: unknown) => void;
}

/** A refusal before MCP sees the request: the status and JSON-RPC code of `code`'s spec, the wire error as `data`. */
function jsonRpcError(code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const error = { code: jsonRpcCodeFor(code), message, data: wireError(code, message) };
  return new Response(JSON.stringify({ jsonrpc: "2.0", error, id: null }), {
    status: httpStatusFor(code),
    headers: { "content-type": "application/json", ...headers },
  });
}

export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const address = typeof options.address === "function" ? options.address : () => options.address as ListenAddress;
  return async (request) => {
    const listen = address();
    if (!listen) return jsonRpcError(ErrorCode.NotReady, "Service unavailable: the server is not listening yet");
    const refusal = rebindingRefusal(request.headers, listen, options.allowedHosts);
    if (refusal !== undefined) return jsonRpcError(ErrorCode.RequestRefused, `Forbidden: ${refusal}`);
    if (request.method !== "POST") {
      return jsonRpcError(
        ErrorCode.MethodNotAllowed,
        "Method not allowed: this endpoint is stateless; send JSON-RPC with POST",
        { allow: "POST" },
      );
    }
    let server: McpServer | undefined;
    try {
      server = await options.server();
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await server.connect(transport);
      return await transport.handleRequest(request);
    } catch (err) {
      options.onError?.(err);
      return jsonRpcError(ErrorCode.Internal, "Internal server error");
    } finally {
      await server?.close().catch((err: unknown) => options.onError?.(err));
    }
  };
}
