/** What the HTTP layer needs of the gateway, and how a URL's agent token becomes an A2A request handler. */
import type { AgentCard } from "@a2a-js/sdk";
import { UnsupportedOperationError, type A2AError } from "@a2a-js/sdk/errors";
import { agentUrls, a2aCard } from "../card.js";
import type { AgentDirectory } from "../directory.js";
import { AgentRequestHandler, type AgentHandlerOptions } from "../request-handler.js";

export interface GatewayHttpDeps {
  directory: AgentDirectory;
  handler: AgentHandlerOptions;
  /** The gateway's DID. */
  gateway: string;
  mesh: string;
  /** The base URL the cards advertise (known once the server listens). */
  publicUrl: () => string;
  onError?: (err: unknown) => void;
}

export interface ServedAgent {
  did: string;
  card: AgentCard;
  handler: AgentRequestHandler;
}

export type Resolved = { ok: true; agent: ServedAgent } | { ok: false; error: A2AError };

/** The agent a URL names; an unknown or unexposed one is an A2A UnsupportedOperation error naming the reason. */
export async function resolveAgent(deps: GatewayHttpDeps, token: string): Promise<Resolved> {
  const found = await deps.directory.lookup(token);
  if (!found.ok)
    return {
      ok: false,
      error: new UnsupportedOperationError({
        message: found.message,
        metadata: { reason: found.reason, agent: `did:key:${token}`.slice(0, 80) },
      }),
    };
  const publicUrl = deps.publicUrl();
  const card = a2aCard(found.view, {
    urls: agentUrls(publicUrl, found.view.did),
    mesh: deps.mesh,
    gateway: deps.gateway,
    publicUrl,
  });
  return {
    ok: true,
    agent: { did: found.view.did, card, handler: new AgentRequestHandler(found.view.did, card, deps.handler) },
  };
}
