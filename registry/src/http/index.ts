export { createRegistryApp } from "./app.js";
export type { RegistryAppOptions } from "./app.js";
export { serveRegistryHttp } from "./server.js";
export type { RegistryHttpOptions, RegistryHttpServer, RegistryMcpContext, RegistryMcpFactory } from "./server.js";
