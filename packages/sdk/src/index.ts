export { Agent } from "./agent.js";
export type { SendOptions, SendResult, ListenOptions, SubscribeOptions, RequestOptions } from "./agent.js";
export type { AgentOptions } from "./options.js";
export type { Delivery, Handler, Receipt, ReceiptStatus, ReaderCounts, Subscription, Listed, OrderInfo, OrderStatus } from "@plexus/acp";
export { deliveryJson } from "@plexus/acp";
export { KeyStore, generateKeyPair, keyPairFromSeed, defaultKeysDir } from "@plexus/identity";
export type { KeyPair } from "@plexus/identity";
export { PlexusError, ErrorCode, isPlexusError } from "@plexus/core";
