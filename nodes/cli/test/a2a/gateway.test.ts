/**
 * The gateway end to end with @a2a-js/sdk's own client (ClientFactory): a real nats-server, a registry node, the
 * gateway, and mesh agents that opt in and answer with agent.listen/reply. Each transport runs the same suite.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TaskState, type Message, type StreamResponse, type Task } from "@a2a-js/sdk";
import { useTestServer, until } from "@plexus/testing";
import { client, kit, request, type Transport } from "./fixtures.js";

const server = useTestServer();

function isTask(x: Message | Task): x is Task {
  return "status" in x;
}

function text(m: Message | undefined): string {
  return (m?.parts ?? []).flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : [])).join("\n");
}

function stateOf(e: StreamResponse): TaskState | undefined {
  if (e.payload?.$case === "task") return e.payload.value.status?.state;
  if (e.payload?.$case === "statusUpdate") return e.payload.value.status?.state;
  return undefined;
}

async function collect(stream: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const out: StreamResponse[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe.each<Transport>(["JSONRPC", "HTTP+JSON"])("A2A gateway over %s", { timeout: 30_000 }, (transport) => {
  const k = kit(() => server.url);
  afterEach(() => k.close());

  it("serves the agent card of an agent that opts in, with its capabilities as skills and both transports", async () => {
    const gateway = await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport);
    const card = await c.getAgentCard();
    expect(card.name).toBe("bob");
    expect(card.skills.map((s) => s.id)).toEqual(["echo", "work"]);
    expect(card.skills[0]?.description).toBe("Says back what it is told");
    expect(card.supportedInterfaces.map((i) => [i.protocolBinding, i.url])).toEqual([
      ["JSONRPC", `${bob.base}jsonrpc`],
      ["HTTP+JSON", `${bob.base}rest`],
    ]);
    expect(card.capabilities?.streaming).toBe(true);
    const ext = card.capabilities?.extensions[0];
    expect(ext?.params).toMatchObject({ did: bob.key.did, mesh: k.mesh, gateway: gateway.did });
    expect(c.transport.protocolName).toBe(transport);
  });

  it("answers a blocking SendMessage with the completed task, and GetTask returns it", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport);
    const result = await c.sendMessage(request("echo hi there"));
    expect(isTask(result)).toBe(true);
    const task = result as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(text(task.status?.message)).toBe("hi there");
    expect(task.history.map((m) => text(m))).toEqual(["echo hi there", "hi there"]);
    const got = await c.getTask({ tenant: "", id: task.id, historyLength: 1 });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(got.history).toHaveLength(1);
    // The agent got a signed message from the gateway in the conversation named by the task id, naming the caller.
    const d = bob.seen[0]!;
    expect(d.type).toBe("a2a.message");
    expect(d.from).toBe(k.gateway!.did);
    expect(d.conversation).toBe(task.id);
    expect(d.body).toMatchObject({
      a2a: { taskId: task.id, contextId: task.contextId },
      caller: { transport, address: "127.0.0.1" },
      text: "echo hi there",
    });
  });

  it("streams the conversation's messages as they arrive, in order, ending with the terminal state", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport);
    const events = await collect(c.sendMessageStream(request("work")));
    const first = events[0]?.payload;
    expect(first?.$case).toBe("task");
    expect(stateOf(events[0]!)).toBe(TaskState.TASK_STATE_SUBMITTED);
    const last = events.at(-1)!;
    expect(last.payload?.$case).toBe("statusUpdate");
    expect(stateOf(last)).toBe(TaskState.TASK_STATE_COMPLETED);
    const states = events.flatMap((e) => stateOf(e) ?? []);
    expect(states).toContain(TaskState.TASK_STATE_WORKING);
    expect([...states].sort((a, b) => a - b)).toEqual(states); // submitted → working → completed, never back
    const artifact = events.find((e) => e.payload?.$case === "artifactUpdate");
    expect(artifact?.payload?.$case === "artifactUpdate" && artifact.payload.value.artifact?.name).toBe("result");
    expect(events.indexOf(artifact!)).toBeLessThan(events.length - 1);
    const taskId = first?.$case === "task" ? first.value.id : "";
    const task = await c.getTask({ tenant: "", id: taskId });
    expect(task.artifacts[0]?.parts[0]?.content).toEqual({ $case: "data", value: { n: 42 } });
    expect(text(task.status?.message)).toBe("done");
  });

  it("answers with a plain A2A Message when the agent's first reply asks for one", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport);
    const result = await c.sendMessage(request("hello world"));
    expect(isTask(result)).toBe(false);
    expect(text(result as Message)).toBe("hello, world");
  });

  it("goes to input-required and on with the caller's next message in the same task and conversation", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport);
    const asked = (await c.sendMessage(request("ask"))) as Task;
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(text(asked.status?.message)).toBe("which colour?");
    const done = (await c.sendMessage(request("echo blue", { taskId: asked.id }))) as Task;
    expect(done.id).toBe(asked.id);
    expect(done.contextId).toBe(asked.contextId);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(text(done.status?.message)).toBe("blue");
    expect(bob.seen.map((d) => d.conversation)).toEqual([asked.id, asked.id]);
    // The second forwarded message answers the agent's question: replyTo names its reply.
    expect(bob.seen[1]?.replyTo).toBeDefined();
    await expect(c.sendMessage(request("echo again", { taskId: asked.id }))).rejects.toThrow(/terminal state/);
  });

  it("reports a failure the agent declares", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport);
    const task = (await c.sendMessage(request("fail"))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(text(task.status?.message)).toBe("cannot do that");
  });

  it("cancels a task: the agent gets an a2a.cancel message and the task is canceled", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport, true);
    const task = (await c.sendMessage(request("hang"))) as Task;
    expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(task.status?.state);
    const canceled = await c.cancelTask({ tenant: "", id: task.id, metadata: {} });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect((await c.getTask({ tenant: "", id: task.id })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await until(() => bob.seen.some((d) => d.type === "a2a.cancel"), 5_000, "the cancel notice");
    const notice = bob.seen.find((d) => d.type === "a2a.cancel")!;
    expect(notice.conversation).toBe(task.id);
    expect(notice.from).toBe(k.gateway!.did);
    expect(notice.body).toMatchObject({ a2a: { taskId: task.id }, caller: { transport } });
    // Canceling again answers the canceled task; a finished task cannot be canceled.
    expect((await c.cancelTask({ tenant: "", id: task.id, metadata: {} })).status?.state).toBe(
      TaskState.TASK_STATE_CANCELED,
    );
    const done = (await client(bob.base, transport).then((b) => b.sendMessage(request("echo x")))) as Task;
    await expect(c.cancelTask({ tenant: "", id: done.id, metadata: {} })).rejects.toThrow(/cannot be canceled/);
  });

  it("answers an unknown task id with TaskNotFound", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, transport);
    await expect(c.getTask({ tenant: "", id: "no-such-task" })).rejects.toMatchObject({
      name: expect.stringContaining("TaskNotFoundError"),
    });
  });

  it("keeps an offline agent's task submitted, and completes it when the agent comes back", async () => {
    await k.start();
    const carol = await k.agent("carol", { listen: false });
    await carol.agent.close(); // joined, then gone without leaving: its inbox keeps what comes
    const c = await client(carol.base, transport, true);
    const task = (await c.sendMessage(request("echo are you there?"))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_SUBMITTED);
    const watching = collect(c.resubscribeTask({ tenant: "", id: task.id }));
    await new Promise((r) => setTimeout(r, 300));
    expect((await c.getTask({ tenant: "", id: task.id })).status?.state).toBe(TaskState.TASK_STATE_SUBMITTED);
    await k.revive(carol.key);
    await until(
      async () => (await c.getTask({ tenant: "", id: task.id })).status?.state === TaskState.TASK_STATE_COMPLETED,
      10_000,
      "the task to complete",
    );
    const events = await watching;
    expect(stateOf(events[0]!)).toBe(TaskState.TASK_STATE_SUBMITTED);
    expect(stateOf(events.at(-1)!)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(text((await c.getTask({ tenant: "", id: task.id })).status?.message)).toBe("are you there?");
  });
});
