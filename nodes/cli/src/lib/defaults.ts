/**
 * Default addresses and key names the help texts and the commands share. No imports: the command table (help
 * texts included) loads this, and it must stay cheap.
 */
export const DEFAULT_REGISTRY_KEY = "registry";
export const DEFAULT_HTTP = { host: "127.0.0.1", port: 7420 } as const;
export const DEFAULT_GATEWAY_KEY = "gateway";
export const DEFAULT_GATEWAY_LISTEN = { host: "127.0.0.1", port: 7430 } as const;
/** The operator key agent suspend/resume and trust add/remove sign with unless --as says otherwise. */
export const DEFAULT_OPERATOR_KEY = "registry";
