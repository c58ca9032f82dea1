/**
 * The HTTP+JSON transport on Hono, mirroring @a2a-js/sdk's Express restHandler (which has no framework-free core):
 * the v1.0 routes relative to the agent's `/rest` URL, the SDK's own JSON codecs, errors as A2A's REST error bodies
 * (google.rpc.Status): an A2A error with the SDK's status, any other with its Plexus code's (errors.ts). The gateway
 * has no tenants, so no `/{tenant}/…` routes.
 */
import type { Context } from "hono";
import {
  A2A_CONTENT_TYPE,
  AgentCard,
  SendMessageRequest,
  SendMessageResponse,
  StreamResponse,
  Task,
  type Message,
} from "@a2a-js/sdk";
import {
  ContentTypeNotSupportedError,
  PushNotificationNotSupportedError,
  RequestMalformedError,
  UnsupportedOperationError,
} from "@a2a-js/sdk/errors";
import { validateVersion, type ServerCallContext } from "@a2a-js/sdk/server";
import { parseJson } from "@plexus/core";
import type { AgentRequestHandler } from "../request-handler.js";
import { callContext } from "./context.js";
import { resolveAgent, type GatewayHttpDeps } from "./deps.js";
import { restErrorBody, restStatus } from "./errors.js";
import { sseResponse } from "./sse.js";

const JSON_HEADERS = { "Content-Type": A2A_CONTENT_TYPE };

/** An A2A error keeps the SDK's status; a Plexus error has its code's (a mesh outage 503: try again); `status` wins. */
export function restError(err: unknown, status?: number): Response {
  const s = restStatus(err, status);
  return Response.json(restErrorBody(err, s), { status: s, headers: JSON_HEADERS });
}

function ok(body: unknown): Response {
  return Response.json(body, { status: 200, headers: JSON_HEADERS });
}

async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type");
  const media = type === undefined ? undefined : (type.split(";", 1)[0] ?? "").trim().toLowerCase();
  if (type && media !== "application/json" && media !== A2A_CONTENT_TYPE) {
    throw new ContentTypeNotSupportedError(
      `Unsupported Content-Type "${type}"; expected application/json or ${A2A_CONTENT_TYPE}.`,
    );
  }
  const text = await c.req.text();
  if (text.trim() === "") return {};
  const read = parseJson(text);
  if (!read.ok) throw new RequestMalformedError(`Invalid JSON payload (${read.reason}): ${read.detail}`);
  return read.value;
}

function historyLength(c: Context): number | undefined {
  const v = c.req.query("historyLength");
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RequestMalformedError("historyLength must be a non-negative integer");
  return n;
}

function stream(
  iterator: AsyncGenerator<StreamResponse, void, undefined>,
  abort: AbortController,
  deps: GatewayHttpDeps,
): Promise<Response> {
  return iterator.next().then((first) =>
    sseResponse(first, {
      iterator,
      abort,
      toData: (event) => StreamResponse.toJSON(event),
      toError: (err) => restErrorBody(err),
      ...(deps.onError ? { onError: deps.onError } : {}),
    }),
  );
}

interface Call {
  c: Context;
  handler: AgentRequestHandler;
  ctx: ServerCallContext;
  abort: AbortController;
  deps: GatewayHttpDeps;
  taskId: string;
}

type Route = { methods: string[]; pattern: RegExp; run: (call: Call) => Promise<Response> };

const ROUTES: Route[] = [
  {
    methods: ["POST"],
    pattern: /^\/message:send$/,
    async run({ c, handler, ctx }) {
      const result = await handler.sendMessage(SendMessageRequest.fromJSON(await jsonBody(c)), ctx);
      const payload =
        "messageId" in result
          ? { $case: "message" as const, value: result as Message }
          : { $case: "task" as const, value: result };
      return ok(SendMessageResponse.toJSON({ payload }));
    },
  },
  {
    methods: ["POST"],
    pattern: /^\/message:stream$/,
    async run({ c, handler, ctx, abort, deps }) {
      return stream(handler.sendMessageStream(SendMessageRequest.fromJSON(await jsonBody(c)), ctx), abort, deps);
    },
  },
  {
    methods: ["GET", "POST"],
    pattern: /^\/tasks\/([^/:]+):subscribe$/,
    run: ({ handler, ctx, abort, deps, taskId }) =>
      stream(handler.resubscribe({ tenant: "", id: taskId }, ctx), abort, deps),
  },
  {
    methods: ["POST"],
    pattern: /^\/tasks\/([^/:]+):cancel$/,
    run: async ({ handler, ctx, taskId }) =>
      ok(Task.toJSON(await handler.cancelTask({ tenant: "", id: taskId, metadata: {} }, ctx))),
  },
  {
    methods: ["GET"],
    pattern: /^\/tasks\/([^/:]+)$/,
    run: async ({ c, handler, taskId }) => {
      const length = historyLength(c);
      return ok(
        Task.toJSON(
          await handler.getTask({ tenant: "", id: taskId, ...(length !== undefined ? { historyLength: length } : {}) }),
        ),
      );
    },
  },
  { methods: ["GET"], pattern: /^\/tasks$/, run: async ({ handler }) => ok(await handler.listTasks()) },
  {
    methods: ["GET", "POST", "DELETE"],
    pattern: /^\/tasks\/([^/:]+)\/pushNotificationConfigs(\/[^/]+)?$/,
    run: async () => restError(new PushNotificationNotSupportedError()),
  },
  {
    methods: ["GET"],
    pattern: /^\/extendedAgentCard$/,
    run: async ({ handler }) => ok(AgentCard.toJSON(await handler.getAuthenticatedExtendedAgentCard())),
  },
];

function pathId(path: string, pattern: RegExp): string {
  const raw = pattern.exec(path)?.[1] ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new RequestMalformedError("the task id in the path is not valid percent-encoding");
  }
}

/** `path` is what follows the agent's `/rest` prefix. */
export async function handleRest(c: Context, deps: GatewayHttpDeps, token: string, path: string): Promise<Response> {
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) return restError(new UnsupportedOperationError(`No HTTP+JSON operation at ${path || "/"}`), 404);
  if (!route.methods.includes(c.req.method))
    return restError(new UnsupportedOperationError(`${c.req.method} is not allowed on ${path}`), 405);
  const abort = new AbortController();
  try {
    const found = await resolveAgent(deps, token);
    if (!found.ok) return restError(found.error, 404);
    const ctx = callContext(c, "HTTP+JSON", AbortSignal.any([c.req.raw.signal, abort.signal]));
    validateVersion(ctx.requestedVersion, found.agent.card, "HTTP+JSON");
    const taskId = pathId(path, route.pattern);
    return await route.run({ c, handler: found.agent.handler, ctx, abort, deps, taskId });
  } catch (err) {
    if (restStatus(err) >= 500) deps.onError?.(err);
    return restError(err);
  }
}
