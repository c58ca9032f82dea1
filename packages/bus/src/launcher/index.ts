export {
  compareVersions,
  findNatsServer,
  readNatsServerVersion,
  type FindNatsServerOptions,
  type FoundNatsServer,
} from "./find-server.js";
export { launchNatsServer, type LaunchOptions, type NatsServerExit, type NatsServerProcess } from "./nats-server.js";
