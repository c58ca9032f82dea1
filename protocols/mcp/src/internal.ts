/**
 * @plexus/mcp/internal — for Plexus's own packages; no compatibility promise. Holds the `_meta` key an MCP tool error
 * carries its Plexus code under, which the nodes' and the CLI's tests read.
 */
export { ERROR_META_KEY } from "./results.js";
