export { createRegistryApp } from "./app.js";
export type { RegistryAppOptions } from "./app.js";
export { serveRegistryHttp } from "./server.js";
export type { RegistryHttpOptions, RegistryHttpServer } from "./server.js";
export { registryMcp } from "./mcp.js";
export type { RegistryMcpOptions } from "./mcp.js";
