/**
 * @plexus/acp — async messaging, the protocol agents speak (layer: protocols; imports packages): outbox, inbound
 * checks, replay guard, subscriptions, receipts, rejection records and dead letters.
 */
export { Outbox } from "./outbox.js";
export { checkInbound } from "./inbound-check.js";
export type { InboundResult, InboundCheckOptions } from "./inbound-check.js";
export { ReplayGuard } from "./replay-guard.js";
export type { OrderInfo, OrderStatus } from "./replay-guard.js";
export { Reader } from "./reader.js";
export type { Accepted, Refused } from "./reader.js";
export type { ReaderCounts } from "./reader-stats.js";
export { ReceiptBatcher } from "./receipt-batcher.js";
export { ReceiptTracker } from "./receipt-tracker.js";
export type { Receipt, ReceiptStatus } from "./receipt-tracker.js";
export { Subscription } from "./subscription.js";
export type { Handler } from "./subscription.js";
export { StreamTap } from "./stream-tap.js";
export { topicConsumer, consumerNameKey } from "./consumers.js";
export { topicDurable, topicNamesKey, managedDurable } from "./topic-durables.js";
export type { DurableSpec, ConsumerOwner } from "./consumers.js";
export type { Delivery } from "./delivery.js";
export type { Listed } from "./ops-records.js";
