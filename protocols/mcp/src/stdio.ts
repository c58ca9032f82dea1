/**
 * Serving an McpServer over stdio (Node only): MCP's newline-delimited JSON-RPC on stdin/stdout, nothing else on
 * stdout. Ends when stdin ends (the client went away) or `close()` is called.
 */
import type { Readable, Writable } from "node:stream";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

export interface StdioSession {
  /** Resolves once the session ended: stdin closed, the transport closed, or close() was called. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export interface StdioOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Transport errors (unparsable input, a broken pipe): they do not end the session by themselves. */
  onError?: (err: unknown) => void;
}

export async function serveStdio(server: McpServer, options: StdioOptions = {}): Promise<StdioSession> {
  const stdin = options.stdin ?? process.stdin;
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout);
  let ended!: () => void;
  const closed = new Promise<void>((resolve) => (ended = resolve));
  // Set before connect(): the SDK chains its own handlers after these.
  transport.onclose = () => ended();
  transport.onerror = (err) => options.onError?.(err);
  const close = async () => {
    stdin.off("end", onEnd);
    await server.close();
    ended();
  };
  const onEnd = () => void close();
  stdin.once("end", onEnd);
  await server.connect(transport);
  return { closed, close };
}
