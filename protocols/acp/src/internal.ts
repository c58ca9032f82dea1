/**
 * @plexus/acp/internal — for Plexus's own packages; no compatibility promise. Holds the async and unsigned inbound
 * checks the registry runs, reader statistics, consumer and secret names, delivery conversion, ops-record listing and
 * sequence-range matching that the SDK, a2a, the registry and the CLI share.
 */
export { checkInboundAsync, checkInboundUnsigned } from "./inbound-check.js";
export { ReaderStats } from "./reader-stats.js";
export { inboxConsumer, secretName } from "./consumers.js";
export { toDelivery, deliveryJson } from "./delivery.js";
export { listRecords } from "./ops-records.js";
export { rangeMembership, seqsToMatch } from "./seq-ranges.js";
