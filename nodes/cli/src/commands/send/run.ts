import { ErrorCode, isPlexusError, type PlexusError } from "@plexus/core";
import type { Agent, SendResult } from "@plexus/sdk";
import {
  conversationOption,
  positionalArgs,
  requiredOption,
  secondsOption,
  typeOption,
  type CommandImpl,
} from "../../common-options.js";
import { CliError, ExitCode } from "../../errors.js";
import { bodyText } from "../../body-input.js";
import { parseBody, shortDid, type Output } from "../../output.js";
import { connectAgent, loadKey, resolveRecipient } from "../../session.js";

export const sendCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    const cmd = "send";
    const as = requiredOption(values, "as", "NAME", cmd);
    const toRef = requiredOption(values, "to", "DID", cmd);
    const type = typeOption(values, cmd);
    const conversation = conversationOption(values, cmd);
    const awaitReceipt = values["await-receipt"] === true;
    const receiptTimeout = secondsOption(values, "receipt-timeout", cmd);
    const [given] = positionalArgs(positionals, positionals.length === 0 ? [] : ["BODY"], cmd) as [string?];
    const body = await bodyText(values, given, cmd);

    const to = await resolveRecipient(common, toRef, cmd);
    const key = await loadKey(common, as, cmd);
    const agent = await connectAgent(common, key, out);
    let result: SendResult;
    try {
      const sent = await agent.send(to, parseBody(body), {
        ...(type !== undefined ? { type } : {}),
        ...(conversation !== undefined ? { conversation } : {}),
      });
      out.info(
        `plexus: stored for ${shortDid(to)} in mesh "${common.mesh}"${awaitReceipt ? "; waiting for the processed receipt…" : ""}`,
      );
      await warnIfUnknown(agent, to, common.mesh, out);
      result = sent;
      if (awaitReceipt) {
        // Printing the id before the wait lets a caller see what was sent even if the wait fails.
        if (!out.json) out.data(`${sent.id}  stream position ${sent.streamSeq}`, undefined);
        result = {
          ...sent,
          receipt: await agent.waitForReceipt(sent.id, {
            status: "processed",
            timeoutMs: (receiptTimeout ?? 30) * 1000,
          }),
        };
      }
    } finally {
      await agent.close();
    }

    const json = {
      id: result.id,
      to,
      seq: result.seq,
      streamSeq: result.streamSeq,
      duplicate: result.duplicate,
      conversation: result.conversation ?? null,
      ...(result.receipt ? { receipt: result.receipt } : {}),
    };
    const r = result.receipt;
    if (!awaitReceipt) out.data(`${result.id}  stream position ${result.streamSeq}`, json);
    else if (r)
      out.data(
        `${r.status} by ${shortDid(r.by)} at ${new Date(r.at).toISOString()}${r.reason !== undefined ? `: ${r.reason}` : ""}`,
        json,
      );
    if (r?.status === "failed") {
      throw new CliError(
        `message ${result.id} failed at ${r.by}${r.attempts !== undefined ? ` after ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}` : ""}: ${r.reason ?? "no reason given"}`,
        {
          exitCode: ExitCode.Failure,
        },
      );
    }
    return ExitCode.Ok;
  },
};

/**
 * Says so when the registry has never seen the recipient (a typo, a key never used): the message still waits in its
 * inbox until that agent listens. Silent when no registry answers (a mesh without one) or it knows the agent.
 */
async function warnIfUnknown(agent: Agent, to: string, mesh: string, out: Output): Promise<void> {
  const unknown = await agent.registry.agent(to).then(
    () => false,
    (err: unknown) => isPlexusError(err, ErrorCode.AgentNotFound) && !(err as PlexusError).details?.["rotatedTo"],
  );
  if (unknown)
    out.warn(
      `${to} has never joined mesh "${mesh}" (the registry does not know it): the message waits in its inbox until that agent listens`,
    );
}
