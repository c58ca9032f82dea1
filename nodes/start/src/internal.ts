/**
 * @plexus/nodes/internal — for Plexus's own packages; no compatibility promise. Holds the open-mode history warning
 * the CLI's `up` prints.
 */
export { warnOpenModeHistory } from "./provision.js";
