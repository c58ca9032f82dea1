/**
 * @plexus/a2a — the A2A gateway (layer: protocols; imports packages, acp, anp, sdk): per-agent A2A cards and
 * transports (JSON-RPC, HTTP+JSON) mapped onto ACP conversations. Sibling-only helpers: @plexus/a2a/internal.
 */
export { startGateway, DEFAULT_GATEWAY_HTTP } from "./gateway.js";
export type { A2AGateway, GatewayOptions } from "./gateway.js";
export type { Listen } from "@plexus/http";
export { readReply } from "./conventions.js";
export type { ForwardedMessage } from "./conventions.js";
export { a2aCard } from "./card.js";
