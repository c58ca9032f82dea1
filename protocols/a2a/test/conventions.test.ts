/** The agent-author convention (reply bodies), the caller description, and the task transitions, without a server. */
import { describe, expect, it } from "vitest";
import { Role, TaskState } from "@a2a-js/sdk";
import { describeCaller } from "../src/caller.js";
import { readReply } from "../src/conventions.js";
import { decodeRecord, encodeFitting, encodeRecord } from "../src/task-record.js";
import { applyReply, cancel, markDelivered, markSent, markUndeliverable, newRecord } from "../src/transitions.js";
import { dataPart, message, textPart } from "../src/parts.js";

const AGENT = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

describe("readReply: what an agent's reply body means", () => {
  it("a plain body completes the task: a string as text, anything else as data", () => {
    expect(readReply("Paris")).toEqual({
      state: TaskState.TASK_STATE_COMPLETED,
      parts: [textPart("Paris")],
      artifacts: [],
      asMessage: false,
    });
    expect(readReply({ answer: 42 })).toMatchObject({
      state: TaskState.TASK_STATE_COMPLETED,
      parts: [dataPart({ answer: 42 })],
    });
    expect(readReply({ text: "no state, so plain" }).parts).toEqual([dataPart({ text: "no state, so plain" })]);
    expect(readReply(null).parts).toEqual([]);
  });

  it("a body with a state follows the convention: text, data, parts and artifacts", () => {
    const r = readReply({
      state: "input-required",
      text: "which one?",
      data: { options: [1, 2] },
      parts: [{ url: "https://example.com/x.png", mediaType: "image/png" }],
    });
    expect(r.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(r.parts.map((p) => p.content?.$case)).toEqual(["url", "text", "data"]);
    const done = readReply({
      state: "completed",
      artifacts: [{ name: "summary", text: "short" }, { artifactId: "fixed", data: [1] }, { name: "empty" }],
    });
    expect(done.artifacts).toEqual([
      { name: "summary", parts: [textPart("short")] },
      { artifactId: "fixed", parts: [dataPart([1])] },
    ]);
    for (const [state, want] of [
      ["working", TaskState.TASK_STATE_WORKING],
      ["failed", TaskState.TASK_STATE_FAILED],
      ["canceled", TaskState.TASK_STATE_CANCELED],
      ["rejected", TaskState.TASK_STATE_REJECTED],
      ["auth-required", TaskState.TASK_STATE_AUTH_REQUIRED],
    ] as const) {
      expect(readReply({ state }).state).toBe(want);
    }
  });

  it("kind: message asks for an A2A Message answer; an unknown state fails the task and says why", () => {
    expect(readReply({ kind: "message", text: "hi" })).toMatchObject({
      state: TaskState.TASK_STATE_COMPLETED,
      asMessage: true,
      parts: [textPart("hi")],
    });
    const odd = readReply({ state: "pondering", text: "hmm" });
    expect(odd.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(odd.problem).toMatch(/unknown state "pondering"/);
  });
});

describe("describeCaller", () => {
  it("keeps the scheme and a readable subject, never the credential", () => {
    const basic = describeCaller(
      "HTTP+JSON",
      new Headers({ authorization: `Basic ${Buffer.from("bob:hunter2").toString("base64")}` }),
      "::1",
    );
    expect(basic).toEqual({ transport: "HTTP+JSON", address: "::1", auth: { scheme: "Basic", subject: "bob" } });
    expect(describeCaller("JSONRPC", new Headers({ authorization: "Bearer opaque-token" }), undefined)).toEqual({
      transport: "JSONRPC",
      auth: { scheme: "Bearer" },
    });
    expect(describeCaller("JSONRPC", new Headers({ "x-api-key": "k" }), undefined).auth).toEqual({ scheme: "api-key" });
    expect(
      JSON.stringify(describeCaller("JSONRPC", new Headers({ authorization: "Digest secretstuff" }), undefined)),
    ).not.toContain("secretstuff");
  });
});

describe("task transitions", () => {
  const ids = { taskId: "4b0ff7f4-5a5e-4c57-8a84-8f3bc5d6f001", contextId: "ctx-1" };
  const user = message({ role: Role.ROLE_USER, parts: [textPart("hi")], ...ids });

  it("submitted → working on the receipt for the latest message → completed by the reply; then nothing moves it", () => {
    const r = newRecord(AGENT, ids, user, 1_000);
    expect(r.task.status?.state).toBe(TaskState.TASK_STATE_SUBMITTED);
    markSent(r, "SENT1");
    expect(markDelivered(r, "OLDER", 1_001)).toBeUndefined();
    expect(markDelivered(r, "SENT1", 1_001)?.events).toHaveLength(1);
    expect(r.task.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const done = applyReply(
      r,
      "REPLY1",
      readReply({ state: "completed", text: "ok", artifacts: [{ text: "a" }] }),
      1_002,
    );
    expect(done?.events.map((e) => e.payload?.$case)).toEqual(["artifactUpdate", "statusUpdate"]);
    expect(r.task.artifacts[0]?.artifactId).toBe("REPLY1-0");
    expect(applyReply(r, "REPLY1", readReply("again"), 1_003)).toBeUndefined();
    expect(applyReply(r, "REPLY2", readReply({ state: "working" }), 1_003)).toBeUndefined();
    expect(cancel(r, 1_004)).toBeUndefined();
    expect(markUndeliverable(r, "SENT1", "boom", 1_005)).toBeUndefined();
    expect(r.task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it("round-trips through its stored form", () => {
    const r = newRecord(AGENT, ids, user, 1_000);
    markSent(r, "SENT1");
    applyReply(r, "REPLY1", readReply({ kind: "message", text: "hello" }), 1_001);
    const back = decodeRecord(encodeRecord(r));
    expect(encodeRecord(back)).toBe(encodeRecord(r));
    expect(back.answer?.parts).toEqual([textPart("hello")]);
  });

  it("drops the oldest history to keep its stored form within a size", () => {
    const r = newRecord(AGENT, ids, user, 1_000);
    for (let i = 0; i < 40; i++)
      applyReply(r, `R${i}`, readReply({ state: "working", text: "z".repeat(1_000) }), 1_000 + i);
    const text = encodeFitting(r, 20_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(20_000);
    expect(r.task.history.length).toBeLessThan(41);
    expect(decodeRecord(text).task.history.at(-1)?.metadata).toEqual({ plexusEnvelope: "R39" });
  });
});
