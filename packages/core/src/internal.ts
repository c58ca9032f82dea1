/**
 * @plexus/core/internal — for Plexus's own packages; no compatibility promise. Holds the generic text an INTERNAL
 * error answers with (the HTTP apps and MCP) and the consumer-name helpers the readers in acp, anp, audit and the
 * registry share.
 */
export { INTERNAL_MESSAGE } from "./wire-error.js";
export { randomConsumerName, orderedConsumerPrefix } from "./consumer-names.js";
