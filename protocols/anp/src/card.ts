import { isJsonSchema, validateAgentCard } from "@plexus/core";

/** What an agent says about itself (schemas/agent-card.json). */
export interface Capability {
  name: string;
  description?: string;
  /** JSON Schema of the input the capability accepts. */
  input?: Record<string, unknown>;
  /** JSON Schema of the output it produces. */
  output?: Record<string, unknown>;
}

export interface AgentCard {
  name: string;
  description: string;
  version: string;
  capabilities: Capability[];
  tags?: string[];
  endpoints?: { protocol: string; url: string }[];
  a2a?: { expose?: boolean };
}

export type CardCheck = { ok: true; card: AgentCard } | { ok: false; detail: string };

/** Validates a card against schemas/agent-card.json, then checks that each capability's input/output is a JSON Schema. */
export function checkCard(value: unknown): CardCheck {
  if (!validateAgentCard(value)) return { ok: false, detail: validateAgentCard.explain() };
  const card = value as AgentCard;
  const names = new Set<string>();
  for (const [i, cap] of card.capabilities.entries()) {
    if (names.has(cap.name)) return { ok: false, detail: `/capabilities/${i}/name "${cap.name}" appears twice` };
    names.add(cap.name);
    for (const side of ["input", "output"] as const) {
      const schema = cap[side];
      if (schema !== undefined && !isJsonSchema(schema)) {
        return { ok: false, detail: `/capabilities/${i}/${side} is not a valid JSON Schema` };
      }
    }
  }
  return { ok: true, card };
}
