/**
 * @plexus/http/internal — for Plexus's own packages; no compatibility promise. Holds the one error-response writer
 * the gateway's HTTP app uses and the CLI's error-transport test checks.
 */
export { errorResponse } from "./error-response.js";
