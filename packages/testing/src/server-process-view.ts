/** A NatsServerProcess that forwards every member to the launched one: what test servers and cluster members extend. */
import type { NatsServerProcess } from "@plexus/bus";

export class ServerProcessView implements NatsServerProcess {
  readonly #server: NatsServerProcess;

  constructor(server: NatsServerProcess) {
    this.#server = server;
  }

  get url(): string {
    return this.#server.url;
  }
  get host(): string {
    return this.#server.host;
  }
  get port(): number {
    return this.#server.port;
  }
  get storeDir(): string {
    return this.#server.storeDir;
  }
  get name(): string {
    return this.#server.name;
  }
  get pid(): number {
    return this.#server.pid;
  }
  get version(): string {
    return this.#server.version;
  }
  get serverPath(): string {
    return this.#server.serverPath;
  }
  get running(): boolean {
    return this.#server.running;
  }
  stop(): Promise<void> {
    return this.#server.stop();
  }
  kill(): Promise<void> {
    return this.#server.kill();
  }
  restart(): Promise<void> {
    return this.#server.restart();
  }
  onExit(cb: Parameters<NatsServerProcess["onExit"]>[0]): () => void {
    return this.#server.onExit(cb);
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
