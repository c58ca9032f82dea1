/**
 * @plexus/registry/internal — for Plexus's own packages; no compatibility promise. Holds the snapshot file name, for
 * bench.
 */
export { SNAPSHOT_FILE } from "./projection/index.js";
