/** The README's example, as written there (bob's key generated instead of loaded), run against a real mesh. */
import { afterEach, expect, it } from "vitest";
import { Role, TaskState, type Task } from "@a2a-js/sdk";
import { ClientFactory } from "@a2a-js/sdk/client";
import { Agent, generateKeyPair } from "@plexus/sdk";
import { useTestServer } from "@plexus/testing";
import { agentToken } from "@plexus/core";
import { kit } from "./fixtures.js";

const server = useTestServer();
const k = kit(() => server.url);
afterEach(() => k.close());

const summarise = (t: string) => t.split(" ").slice(0, 3).join(" ");

it("runs the README example", { timeout: 30_000 }, async () => {
  const gateway = await k.start();
  const bob = await Agent.connect({ key: generateKeyPair(), nats: server.url, mesh: k.mesh });
  try {
    await bob.join({
      name: "bob",
      description: "Summarises text",
      version: "1.0.0",
      capabilities: [{ name: "summarise", description: "Summarise a text" }],
      a2a: { expose: true },
    });
    await bob.listen(async (msg) => {
      if (msg.type === "a2a.cancel") return;
      if (msg.type !== "a2a.message") return;
      const { text } = msg.body as { text: string };
      await bob.reply(msg, { state: "working", text: "reading…" });
      await bob.reply(msg, {
        state: "completed",
        text: summarise(text),
        artifacts: [{ name: "summary", text: summarise(text) }],
      });
    });

    const client = await new ClientFactory().createFromUrl(`${gateway.url}/agents/${agentToken(bob.did)}/`);
    const text = {
      content: { $case: "text" as const, value: "Summarise: one two three four" },
      metadata: undefined,
      filename: "",
      mediaType: "text/plain",
    };
    const task = await client.sendMessage({
      tenant: "",
      configuration: undefined,
      metadata: undefined,
      message: {
        messageId: crypto.randomUUID(),
        contextId: "",
        taskId: "",
        role: Role.ROLE_USER,
        parts: [text],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      },
    });
    expect((task as Task).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect((task as Task).artifacts[0]?.name).toBe("summary");
    expect((task as Task).status?.message?.parts[0]?.content).toEqual({ $case: "text", value: "Summarise: one two" });
  } finally {
    await bob.close();
  }
});
