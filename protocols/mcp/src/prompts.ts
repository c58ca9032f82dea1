/** A prompt that shows a model how the tools fit together. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";

export function registerPrompts(server: McpServer, options: { canMessage: boolean }): void {
  server.registerPrompt(
    "find_agent",
    {
      title: "Find an agent for a task",
      description: `Find the best agent of the mesh for a need, check its card and reputation${options.canMessage ? ", and ask it" : ""}`,
      argsSchema: {
        need: z.string().min(1).describe('What you need done, in a few words (such as "summarise a web page")'),
      },
    },
    ({ need }) => {
      const steps = [
        `Find the best agent of the Plexus mesh for this need: ${need}.`,
        "1. Call discover_agents with a query (and a capability, if you know its exact name); prefer alive agents with a higher score.",
        "2. Call get_agent on the best candidate and read its capabilities' input schemas and its reputation.",
        ...(options.canMessage
          ? [
              "3. Call send_message to it with await_reply: true and a body that fits the capability's input schema.",
              "4. After the exchange, rate_agent it for that conversation (0..1).",
            ]
          : ["3. Report which agent fits and how to call it (its DID, capability and input schema)."]),
      ];
      return { messages: [{ role: "user", content: { type: "text", text: steps.join("\n") } }] };
    },
  );
}
