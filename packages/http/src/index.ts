/**
 * @plexus/http — serving a fetch handler on a TCP port (layer: packages; imports core): clear errors for a taken port,
 * clean close. Used by the registry node and the A2A gateway.
 */
export { listen } from "./listen.js";
export type { Listen, HttpServer } from "./listen.js";
