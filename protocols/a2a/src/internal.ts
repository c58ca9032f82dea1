/**
 * @plexus/a2a/internal — for Plexus's own packages and tests, not for users (no stability promise): the A2A part
 * builders and the gateway's mesh link, which the gateway's integration tests in nodes/ drive directly.
 */
export { artifact, textPart } from "./parts.js";
export { ACK_WAIT_MS, MeshLink, replyConsumer } from "./mesh-link.js";
export { agentUrls } from "./card.js";
export { PLEXUS_ERROR_DOMAIN, jsonRpcErrorObject, restErrorBody } from "./http/errors.js";
