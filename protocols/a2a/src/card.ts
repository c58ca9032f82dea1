/**
 * A mesh agent's card as an A2A agent card: its capabilities as skills, the gateway's two transports under the
 * agent's own base URL, and (in a non-required extension) what A2A cards cannot say: the agent's DID, the mesh, the
 * gateway's DID and each capability's input/output JSON Schemas.
 */
import { A2A_PROTOCOL_VERSION, AGENT_CARD_PATH, type AgentCard, type AgentSkill } from "@a2a-js/sdk";
import type { AgentView } from "@plexus/anp";
import { agentToken } from "@plexus/core";

/** The URI of the card extension that carries the mesh identity and the capabilities' schemas. */
export const PLEXUS_CARD_EXTENSION = "https://plexus.dev/a2a/mesh-agent/v1";

const MODES = ["text/plain", "application/json"];

export interface AgentUrls {
  /**
   * The agent's base URL on the gateway, `<gateway>/agents/<agent token>/`. The trailing slash matters: A2A clients
   * resolve `.well-known/agent-card.json` against it.
   */
  base: string;
  card: string;
  jsonrpc: string;
  rest: string;
}

export function agentUrls(publicUrl: string, did: string): AgentUrls {
  const base = `${publicUrl.replace(/\/+$/, "")}/agents/${agentToken(did)}/`;
  return { base, card: `${base}${AGENT_CARD_PATH}`, jsonrpc: `${base}jsonrpc`, rest: `${base}rest` };
}

function skills(view: AgentView): AgentSkill[] {
  return view.card.capabilities.map((c) => ({
    id: c.name,
    name: c.name,
    description: c.description ?? `${c.name} (a capability of ${view.name})`,
    tags: view.card.tags ?? [],
    examples: [],
    inputModes: MODES,
    outputModes: MODES,
    securityRequirements: [],
  }));
}

export interface CardContext {
  urls: AgentUrls;
  mesh: string;
  gateway: string;
  publicUrl: string;
}

export function a2aCard(view: AgentView, ctx: CardContext): AgentCard {
  const schemas = Object.fromEntries(
    view.card.capabilities.map((c) => [c.name, { input: c.input ?? null, output: c.output ?? null }]),
  );
  const iface = (url: string, protocolBinding: string) => ({
    url,
    protocolBinding,
    tenant: "",
    protocolVersion: A2A_PROTOCOL_VERSION,
  });
  return {
    name: view.name,
    description: view.description,
    supportedInterfaces: [iface(ctx.urls.jsonrpc, "JSONRPC"), iface(ctx.urls.rest, "HTTP+JSON")],
    provider: { organization: `Plexus mesh "${ctx.mesh}"`, url: ctx.publicUrl },
    version: view.version,
    capabilities: {
      streaming: true,
      pushNotifications: false,
      extendedAgentCard: false,
      extensions: [
        {
          uri: PLEXUS_CARD_EXTENSION,
          description:
            "A mesh agent served by a Plexus A2A gateway: its DID, its mesh, the gateway's DID, and each skill's input/output JSON Schema",
          required: false,
          params: { did: view.did, mesh: ctx.mesh, gateway: ctx.gateway, schemas },
        },
      ],
    },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: MODES,
    defaultOutputModes: MODES,
    skills: skills(view),
    signatures: [],
  };
}
