/**
 * @plexus/sdk/internal — for Plexus's own packages; no compatibility promise. Holds the delivery-to-JSON conversion
 * the CLI prints deliveries with.
 */
export { deliveryJson } from "@plexus/acp/internal";
