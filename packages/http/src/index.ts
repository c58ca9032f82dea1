export { listen } from "./listen.js";
export type { Listen, ListenOptions, HttpServer } from "./listen.js";
export { codeErrorResponse, errorResponse, wireErrorResponse } from "./error-response.js";
