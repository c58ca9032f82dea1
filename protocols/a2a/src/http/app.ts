/**
 * The gateway's HTTP surface. Per exposed agent, under `/agents/<agent token>`:
 *   GET  /.well-known/agent-card.json   the A2A agent card
 *   POST /jsonrpc                        the JSON-RPC transport (SSE for the streaming methods)
 *   *    /rest/…                         the HTTP+JSON transport (/message:send, /message:stream, /tasks/{id}, …)
 * and `GET /agents` (every agent served, with its card URL), `GET /healthz`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AgentCard } from "@a2a-js/sdk";
import { RequestMalformedError, UnsupportedOperationError } from "@a2a-js/sdk/errors";
import { agentUrls } from "../card.js";
import { resolveAgent, type GatewayHttpDeps } from "./deps.js";
import { handleJsonRpc } from "./jsonrpc.js";
import { handleRest, restError } from "./rest.js";

const AGENT = "/agents/:token";
/** Request bodies larger than this are refused before they are read (what a mesh envelope can carry is far less). */
const MAX_BODY_BYTES = 1024 * 1024;

export function createGatewayApp(deps: GatewayHttpDeps): Hono {
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ ok: true, gateway: deps.gateway, mesh: deps.mesh }));

  app.get("/agents", async (c) => {
    try {
      const views = await deps.directory.exposed();
      const publicUrl = deps.publicUrl();
      return c.json({
        gateway: deps.gateway,
        mesh: deps.mesh,
        agents: views.map((v) => ({
          did: v.did,
          name: v.name,
          description: v.description,
          liveness: v.liveness,
          url: agentUrls(publicUrl, v.did).base,
          card: agentUrls(publicUrl, v.did).card,
        })),
      });
    } catch (err) {
      return restError(err);
    }
  });

  app.get(`${AGENT}/.well-known/agent-card.json`, async (c) => {
    try {
      const found = await resolveAgent(deps, c.req.param("token"));
      if (!found.ok) return restError(found.error, 404);
      return c.json(AgentCard.toJSON(found.agent.card), 200, { "Cache-Control": "no-cache" });
    } catch (err) {
      return restError(err);
    }
  });

  app.use(
    "/agents/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () =>
        restError(new RequestMalformedError(`the request body is larger than ${MAX_BODY_BYTES} bytes`), 413),
    }),
  );

  app.post(`${AGENT}/jsonrpc`, (c) => handleJsonRpc(c, deps, c.req.param("token")));

  app.all(`${AGENT}/rest/*`, (c) => {
    const token = c.req.param("token");
    const prefix = `/agents/${token}/rest`;
    const path = c.req.path.startsWith(prefix) ? c.req.path.slice(prefix.length) : c.req.path;
    return handleRest(c, deps, token, path);
  });

  app.notFound((c) =>
    restError(
      new UnsupportedOperationError(
        `Nothing is served at ${c.req.method} ${c.req.path}; agents are under /agents/<agent token>/`,
      ),
      404,
    ),
  );

  app.onError((err) => {
    deps.onError?.(err);
    return restError(err);
  });
  return app;
}
