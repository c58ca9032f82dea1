/**
 * The A2A operations for one exposed mesh agent, on top of the task bridge. Both transports (JSON-RPC and
 * HTTP+JSON) call this; it never sees HTTP. What the transport knows about the caller and the connection arrives in
 * the ServerCallContext's state.
 */
import {
  Role,
  type AgentCard,
  type Message,
  type StreamResponse,
  type Task,
  type TaskPushNotificationConfig,
} from "@a2a-js/sdk";
import {
  ExtendedAgentCardNotConfiguredError,
  PushNotificationNotSupportedError,
  RequestMalformedError,
  UnsupportedOperationError,
} from "@a2a-js/sdk/errors";
import type { A2ARequestHandler, ServerCallContext } from "@a2a-js/sdk/server";
import type {
  CancelTaskRequest,
  GetTaskRequest,
  ListTaskPushNotificationConfigsResponse,
  ListTasksResponse,
  SendMessageRequest,
  SubscribeToTaskRequest,
} from "@a2a-js/sdk";
import type { TaskBridge } from "./bridge.js";
import type { CallerInfo } from "./conventions.js";
import { isTerminal } from "./task-record.js";
import { withHistory } from "./transitions.js";

/** Keys of what the transports put into ServerCallContext.state. */
export const CallState = { Caller: "plexus.caller", Signal: "plexus.signal" } as const;

export interface AgentHandlerOptions {
  bridge: TaskBridge;
  /** How long a blocking SendMessage waits for the task to settle before answering with the task as it stands. */
  blockingTimeoutMs: number;
  /** How long a stream stays open at most (the caller may subscribe again). */
  streamMaxMs: number;
}

function callerOf(ctx: ServerCallContext): CallerInfo {
  return (ctx.state.get(CallState.Caller) as CallerInfo | undefined) ?? { transport: "JSONRPC" };
}

function requireMessage(params: SendMessageRequest): Message {
  const m = params.message;
  if (!m) throw new RequestMalformedError("message is required");
  if (!m.messageId) throw new RequestMalformedError("message.messageId is required");
  if (m.parts.length === 0) throw new RequestMalformedError("message.parts must hold at least one part");
  return { ...m, role: Role.ROLE_USER };
}

export class AgentRequestHandler implements A2ARequestHandler {
  readonly #did: string;
  readonly #card: AgentCard;
  readonly #o: AgentHandlerOptions;

  constructor(did: string, card: AgentCard, options: AgentHandlerOptions) {
    this.#did = did;
    this.#card = card;
    this.#o = options;
  }

  async getAgentCard(): Promise<AgentCard> {
    return this.#card;
  }

  async getAuthenticatedExtendedAgentCard(): Promise<AgentCard> {
    throw new ExtendedAgentCardNotConfiguredError("This agent has no extended card.");
  }

  async sendMessage(params: SendMessageRequest, ctx: ServerCallContext): Promise<Message | Task> {
    const { record, feed } = await this.#o.bridge.submit(this.#did, requireMessage(params), callerOf(ctx));
    const historyLength = params.configuration?.historyLength;
    try {
      if (params.configuration?.returnImmediately) return withHistory(record.task, historyLength);
      const { task, answer } = await this.#o.bridge.settle(feed, record, this.#o.blockingTimeoutMs);
      return answer ?? withHistory(task, historyLength);
    } finally {
      feed.close();
    }
  }

  async *sendMessageStream(
    params: SendMessageRequest,
    ctx: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const { record, feed } = await this.#o.bridge.submit(this.#did, requireMessage(params), callerOf(ctx));
    try {
      yield { payload: { $case: "task", value: withHistory(record.task, params.configuration?.historyLength) } };
      yield* feed.events(this.#signal(ctx));
    } finally {
      feed.close();
    }
  }

  async getTask(params: GetTaskRequest): Promise<Task> {
    const record = await this.#o.bridge.find(this.#did, params.id);
    return withHistory(record.task, params.historyLength);
  }

  async cancelTask(params: CancelTaskRequest, ctx: ServerCallContext): Promise<Task> {
    return withHistory(await this.#o.bridge.cancel(this.#did, params.id, callerOf(ctx)), undefined);
  }

  async *resubscribe(
    params: SubscribeToTaskRequest,
    ctx: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const feed = this.#o.bridge.feed(params.id);
    try {
      const record = await this.#o.bridge.find(this.#did, params.id);
      if (isTerminal(record.task))
        throw new UnsupportedOperationError(`Task ${params.id} is in a terminal state and cannot be subscribed to.`);
      yield { payload: { $case: "task", value: withHistory(record.task, undefined) } };
      yield* feed.events(this.#signal(ctx));
    } finally {
      feed.close();
    }
  }

  async listTasks(): Promise<ListTasksResponse> {
    throw new UnsupportedOperationError(
      "ListTasks is not offered: the gateway does not authenticate callers, so a list would show every caller's tasks.",
    );
  }

  async createTaskPushNotificationConfig(): Promise<TaskPushNotificationConfig> {
    throw new PushNotificationNotSupportedError();
  }

  async getTaskPushNotificationConfig(): Promise<TaskPushNotificationConfig> {
    throw new PushNotificationNotSupportedError();
  }

  async listTaskPushNotificationConfigs(): Promise<ListTaskPushNotificationConfigsResponse> {
    throw new PushNotificationNotSupportedError();
  }

  async deleteTaskPushNotificationConfig(): Promise<void> {
    throw new PushNotificationNotSupportedError();
  }

  /** The connection's abort signal, capped at the longest a stream may stay open. */
  #signal(ctx: ServerCallContext): AbortSignal {
    const cap = AbortSignal.timeout(this.#o.streamMaxMs);
    const given = ctx.state.get(CallState.Signal) as AbortSignal | undefined;
    return given ? AbortSignal.any([given, cap]) : cap;
  }
}
