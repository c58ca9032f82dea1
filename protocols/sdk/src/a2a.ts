/**
 * Outbound A2A: a mesh agent calls an outside A2A agent by URL with @a2a-js/sdk's own client (ClientFactory), and
 * the exchange goes into the mesh log like any conversation. Before the call the agent publishes the request, after
 * it the answer (or the failure), as envelopes it signs, on its topic `a2a-outbound`, in one conversation:
 *
 *   a2a.outbound.request   { url, agent, transport, message }            message: the A2A message (v1.0 JSON form)
 *   a2a.outbound.response  { url, result: { message } | { task } }       the answer as the A2A agent gave it
 *   a2a.outbound.error     { url, error: { name, message, reason? } }
 *
 * Headers the caller passes (credentials for the outside agent) are sent, never recorded. @a2a-js/sdk loads on the
 * first call, so agents that never call out do not pay for it.
 */
import { randomUUID } from "node:crypto";
import type { Message, Part, Task } from "@a2a-js/sdk";
import type { Client } from "@a2a-js/sdk/client";
import { ErrorCode, newId, PlexusError } from "@plexus/core";

export const A2A_OUTBOUND_TOPIC = "a2a-outbound";

export const A2AOutboundType = {
  Request: "a2a.outbound.request",
  Response: "a2a.outbound.response",
  Error: "a2a.outbound.error",
} as const;

/** What to say: text, or an object with text, data and/or parts (A2A v1.0 JSON form), and the ids to continue. */
export type A2AOutgoing =
  | string
  | {
      text?: string;
      data?: unknown;
      parts?: Record<string, unknown>[];
      contextId?: string;
      taskId?: string;
      metadata?: Record<string, unknown>;
    };

export interface A2ASendOptions {
  /** The mesh conversation the exchange is recorded in (default: a new one). */
  conversation?: string;
  /** Wait for the agent to finish (default); false asks for the task at once (A2A `returnImmediately`). */
  blocking?: boolean;
  /** Preferred transport when the card offers several (default: the card's order). */
  transport?: "JSONRPC" | "HTTP+JSON";
  /** Extra HTTP headers for the call, such as Authorization: sent, never recorded. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface A2AExchange {
  conversation: string;
  url: string;
  /** The A2A answer as @a2a-js/sdk gives it: a Message, or a Task. */
  result: Message | Task;
  /** The answer's text: the message's text parts, or the task's status message and text artifacts. */
  text: string;
  /** The task's state (TASK_STATE_…), when the answer is a task. */
  state?: string;
  /** Ids of the envelopes that record the exchange. */
  recorded: { request: string; response: string };
}

/** What the outbound client needs of the agent: to sign and publish the records. */
export interface A2ARecorder {
  readonly did: string;
  publish(topic: string, body: unknown, options: { type: string; conversation: string }): Promise<{ id: string }>;
}

type Sdk = typeof import("@a2a-js/sdk");
type SdkClient = typeof import("@a2a-js/sdk/client");

function isTask(x: Message | Task): x is Task {
  return "status" in x;
}

function textOf(parts: readonly Part[]): string[] {
  return parts.flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : []));
}

export class A2AOutbound {
  readonly #recorder: A2ARecorder;
  readonly #clients = new Map<string, Promise<Client>>();
  #sdk: Promise<[Sdk, SdkClient]> | undefined;

  constructor(recorder: A2ARecorder) {
    this.#recorder = recorder;
  }

  /**
   * Sends `message` to the A2A agent at `url` (its base URL, whose `.well-known/agent-card.json` is the card, or the
   * card's own URL ending in `.json`). Resolves with the answer; a failure is a REQUEST_REFUSED PlexusError with
   * `details.reason` (the A2A error's reason, or "unreachable"), recorded as well.
   */
  async send(url: string, message: A2AOutgoing, options: A2ASendOptions = {}): Promise<A2AExchange> {
    const [sdk] = await this.#load();
    const conversation = options.conversation ?? newId();
    const record = (type: string, body: unknown) =>
      this.#recorder.publish(A2A_OUTBOUND_TOPIC, body, { type, conversation });
    const outgoing = this.#message(sdk, message);
    let client: Client;
    try {
      client = await this.#client(url, options);
    } catch (err) {
      await record(A2AOutboundType.Error, { url, error: describe(err) });
      throw refused(url, err);
    }
    const card = await client.getAgentCard();
    const request = await record(A2AOutboundType.Request, {
      url,
      agent: card.name,
      transport: client.transport.protocolName,
      message: sdk.Message.toJSON(outgoing),
    });
    let result: Message | Task;
    try {
      const params = { tenant: "", message: outgoing, configuration: undefined, metadata: undefined };
      result = await client.sendMessage(params, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.headers ? { serviceParameters: options.headers } : {}),
      });
    } catch (err) {
      await record(A2AOutboundType.Error, { url, error: describe(err) });
      throw refused(url, err);
    }
    const answer = isTask(result) ? { task: sdk.Task.toJSON(result) } : { message: sdk.Message.toJSON(result) };
    const response = await record(A2AOutboundType.Response, { url, result: answer });
    const recorded = { request: request.id, response: response.id };
    if (!isTask(result)) return { conversation, url, result, text: textOf(result.parts).join("\n"), recorded };
    const text = [
      ...textOf(result.status?.message?.parts ?? []),
      ...result.artifacts.flatMap((a) => textOf(a.parts)),
    ].join("\n");
    return {
      conversation,
      url,
      result,
      text,
      state: sdk.taskStateToJSON(result.status?.state ?? sdk.TaskState.TASK_STATE_UNSPECIFIED),
      recorded,
    };
  }

  #message(sdk: Sdk, m: A2AOutgoing): Message {
    const o = typeof m === "string" ? { text: m } : m;
    const parts: Part[] = (o.parts ?? []).map((p) => sdk.Part.fromJSON(p));
    if (o.text !== undefined) parts.push(sdk.Part.fromJSON({ text: o.text }));
    if (o.data !== undefined) parts.push(sdk.Part.fromJSON({ data: o.data, mediaType: "application/json" }));
    if (parts.length === 0)
      throw new PlexusError(ErrorCode.InvalidArgument, "an A2A message needs text, data or parts");
    return {
      messageId: randomUUID(),
      contextId: o.contextId ?? "",
      taskId: o.taskId ?? "",
      role: sdk.Role.ROLE_USER,
      parts,
      metadata: o.metadata,
      extensions: [],
      referenceTaskIds: [],
    };
  }

  /** One client per (URL, transport, blocking), made from the card the URL serves. */
  #client(url: string, options: A2ASendOptions): Promise<Client> {
    const key = `${url} ${options.transport ?? ""} ${options.blocking === false}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = this.#load().then(([, c]) => {
        const factoryOptions = c.ClientFactoryOptions.createFrom(c.ClientFactoryOptions.default, {
          ...(options.transport ? { preferredTransports: [options.transport] } : {}),
          clientConfig: { polling: options.blocking === false },
        });
        const factory = new c.ClientFactory(factoryOptions);
        return /\.json(\?.*)?$/.test(url)
          ? factory.createFromUrl(url, "")
          : factory.createFromUrl(url.endsWith("/") ? url : `${url}/`);
      });
      this.#clients.set(key, client);
      client.catch(() => this.#clients.delete(key));
    }
    return client;
  }

  #load(): Promise<[Sdk, SdkClient]> {
    this.#sdk ??= Promise.all([import("@a2a-js/sdk"), import("@a2a-js/sdk/client")]);
    return this.#sdk;
  }
}

function describe(err: unknown): { name: string; message: string; reason?: string } {
  const e = err as { name?: unknown; message?: unknown; reason?: unknown };
  return {
    name: typeof e?.name === "string" ? e.name : "Error",
    message: typeof e?.message === "string" ? e.message.slice(0, 1_000) : String(err).slice(0, 1_000),
    ...(typeof e?.reason === "string" ? { reason: e.reason } : {}),
  };
}

function refused(url: string, err: unknown): PlexusError {
  const d = describe(err);
  return new PlexusError(ErrorCode.RequestRefused, `A2A call to ${url} failed: ${d.message}`, {
    cause: err,
    details: { url, reason: d.reason ?? "unreachable", error: d.name },
  });
}
