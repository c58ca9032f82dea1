/**
 * DNS-rebinding protection for a local MCP endpoint: the Host header must name the server as it listens (its own
 * host:port, localhost:port or 127.0.0.1:port), and an Origin header, when present, must be a page served from
 * localhost or 127.0.0.1. Anything else is answered 403 before the request reaches MCP. A web page on another site
 * whose DNS name was rebound to 127.0.0.1 still sends its own name as Host and Origin, so it is refused.
 * Behind a published port, a proxy or a DNS name of its own, a server names those addresses (`extra`, host:port as a
 * browser sends it): each is one exact name the operator chose, never a pattern, so a rebound name stays refused.
 */

export interface ListenAddress {
  host: string;
  port: number;
}

/** http(s)://localhost or 127.0.0.1, any port (a local tool such as the MCP Inspector serves from its own port). */
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`.toLowerCase();
}

/** The Host header values a server listening on `address` accepts (and the `extra` ones it was given). */
export function allowedHosts(address: ListenAddress, extra: readonly string[] = []): string[] {
  return [
    ...new Set([
      hostPort(address.host, address.port),
      hostPort("localhost", address.port),
      hostPort("127.0.0.1", address.port),
      ...extra.map((h) => h.toLowerCase()),
    ]),
  ];
}

export function isLocalOrigin(origin: string): boolean {
  return LOCAL_ORIGIN.test(origin.toLowerCase());
}

/** Why a request is refused, or undefined when its Host and Origin are acceptable. */
export function rebindingRefusal(
  headers: Headers,
  address: ListenAddress,
  extra: readonly string[] = [],
): string | undefined {
  const host = headers.get("host");
  const allowed = allowedHosts(address, extra);
  if (host === null || !allowed.includes(host.toLowerCase())) {
    return `Host ${host === null ? "(missing)" : JSON.stringify(host)} is not this server (use ${allowed.join(", ")})`;
  }
  const origin = headers.get("origin");
  if (origin !== null && !isLocalOrigin(origin))
    return `Origin ${JSON.stringify(origin)} is not a local page (http(s)://localhost or 127.0.0.1)`;
  return undefined;
}
