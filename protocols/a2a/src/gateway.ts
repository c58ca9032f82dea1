/**
 * The A2A gateway: a mesh agent of its own (its DID signs everything it forwards) that serves every joined agent
 * opting in with `a2a.expose: true` as an A2A agent over HTTP, mapping A2A tasks onto ACP conversations.
 *
 * It relies on the mesh log keeping its history (replies and receipts are read back from it), so it checks the log as
 * every node does (@plexus/bus HistoryGuard): a log refused at start fails the start with its HISTORY_STREAM_* error;
 * one refused later is reported through `onError`, and from then on every HTTP request is answered 503 with the code.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream, HistoryAnchors, HistoryGuard, type BusCredentials } from "@plexus/bus";
import { Defaults, meshSubjects, type PlexusError } from "@plexus/core";
import { listen, type HttpServer, type Listen } from "@plexus/http";
import { errorResponse } from "@plexus/http/internal";
import type { KeyPair } from "@plexus/identity";
import { TaskBridge } from "./bridge.js";
import { AgentDirectory } from "./directory.js";
import { createGatewayApp } from "./http/app.js";
import { MeshLink } from "./mesh-link.js";
import { TaskBook } from "./task-book.js";
import { KvTaskStore, type TaskStore } from "./task-store.js";

export const DEFAULT_GATEWAY_HTTP: Listen = { host: "127.0.0.1", port: 7430 };

export interface GatewayOptions {
  /** NATS server URL(s), or a connection the caller owns (not closed by stop()). */
  nats: string | string[] | NatsConnection;
  /** Credentials for a NATS server in operator mode (the mesh's service user); unused with a given connection. */
  credentials?: BusCredentials;
  mesh?: string;
  /** The gateway's own identity. */
  key: KeyPair;
  /** Where to serve HTTP (default 127.0.0.1:7430; port 0 picks a free one). */
  http?: Listen;
  /** The base URL the agent cards advertise, when callers reach the gateway through a proxy (default: the listen URL). */
  publicUrl?: string;
  /** How long a blocking SendMessage waits for the task to settle before answering with it as it stands (default 60 s). */
  blockingTimeoutMs?: number;
  /** The longest a stream stays open (default 1 h); the caller may subscribe again. */
  streamMaxMs?: number;
  /** How long the registry's answer about an agent is reused (default 5 s). */
  directoryCacheMs?: number;
  /** How long a task is kept after its last change (default 30 days). */
  taskRetentionMs?: number;
  /** Where tasks persist (default: the mesh's KV bucket PLEXUS_<MESH>_A2A_TASKS). */
  taskStore?: TaskStore;
  /** Errors with no caller to report to (a reply that could not be applied, a server error, a refused mesh log). */
  onError?: (err: unknown) => void;
  /** Folder where the mesh log's creation time is remembered across restarts (default: in memory only). */
  historyDir?: string;
  /** How often the mesh log is checked again (ms; default 60 s; 0: only at start and after reconnects). */
  historyCheckMs?: number;
}

export interface A2AGateway extends AsyncDisposable {
  readonly did: string;
  readonly mesh: string;
  /** The HTTP base URL; an agent's A2A base is `<url>/agents/<agent token>`. */
  readonly url: string;
  /** Why the gateway refused the mesh log after its start (HISTORY_STREAM_*), if it did: it then answers 503. */
  readonly refusal: PlexusError | undefined;
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startGateway(options: GatewayOptions): Promise<A2AGateway> {
  const mesh = options.mesh ?? Defaults.mesh;
  const onError = options.onError ?? (() => undefined);
  const given = typeof options.nats === "object" && !Array.isArray(options.nats) ? options.nats : undefined;
  const credentials = options.credentials ? { credentials: options.credentials } : {};
  const nc =
    given ??
    (await connectBus({
      servers: options.nats as string | string[],
      name: `plexus-a2a-gateway ${options.key.did}`,
      ...credentials,
    }));
  let link: MeshLink | undefined;
  const guard = new HistoryGuard({
    nc,
    streams: [meshSubjects(mesh).stream],
    anchors: new HistoryAnchors(options.historyDir),
    ...(options.historyCheckMs !== undefined ? { intervalMs: options.historyCheckMs } : {}),
    onRefused: onError,
  });
  try {
    await ensureMeshStream(nc, mesh);
    const refusal = await guard.start();
    if (refusal) throw refusal;
    const store =
      options.taskStore ??
      (await KvTaskStore.open({
        nc,
        mesh,
        gateway: options.key.did,
        retentionMs: options.taskRetentionMs ?? 30 * DAY_MS,
      }));
    const book = new TaskBook(store);
    const bridge = new TaskBridge({ book, mesh: { send: (...args) => link!.send(...args) }, onError });
    link = await MeshLink.open({ nc, mesh, key: options.key, onAgentMessage: bridge.onAgentMessage, onError });
    let server: HttpServer | undefined;
    const app = createGatewayApp({
      directory: new AgentDirectory(link.agent.registry, { cacheMs: options.directoryCacheMs ?? 5_000 }),
      handler: {
        bridge,
        blockingTimeoutMs: options.blockingTimeoutMs ?? 60_000,
        streamMaxMs: options.streamMaxMs ?? 3_600_000,
      },
      gateway: link.did,
      mesh,
      publicUrl: () => options.publicUrl ?? server?.url ?? "",
      onError,
    });
    // The server hands app.fetch more than the request (its bindings carry the caller's address): pass it all on.
    const fetch = app.fetch as (request: Request, ...rest: unknown[]) => Response | Promise<Response>;
    const serve = (request: Request, ...rest: unknown[]) =>
      guard.refusal ? refusedResponse(guard.refusal) : fetch(request, ...rest);
    server = await listen(serve, options.http ?? DEFAULT_GATEWAY_HTTP, { onError });
    return running(
      { did: link.did, mesh, url: options.publicUrl ?? server.url },
      { server, book, link, guard, nc: given ? undefined : nc },
    );
  } catch (err) {
    guard.stop();
    await link?.close().catch(() => undefined);
    if (!given) await nc.close();
    throw err;
  }
}

/** What every HTTP request gets once the mesh log is refused. */
function refusedResponse(refusal: PlexusError): Response {
  return errorResponse(refusal);
}

interface Parts {
  guard: HistoryGuard;
  server: HttpServer;
  book: TaskBook;
  link: MeshLink;
  /** The connection, when the gateway opened it. */
  nc: NatsConnection | undefined;
}

function running(id: { did: string; mesh: string; url: string }, p: Parts): A2AGateway {
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      p.guard.stop();
      p.book.close(); // waiting calls answer now, open streams end
      await p.server.close();
      await p.link.close();
      await p.nc?.close();
    })());
  return {
    ...id,
    get refusal() {
      return p.guard.refusal;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
