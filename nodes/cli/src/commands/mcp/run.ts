/** `plexus mcp --as NAME`: the mesh as an MCP server on stdio, acting as the agent NAME. */
import { positionalArgs, requiredOption, type CommandImpl } from "../../common-options.js";
import { oneLine } from "../../errors.js";
import { connectAgent, loadKey, waitForSignal } from "../../session.js";
import { connectService } from "../../nats-auth.js";

const COMMAND = "mcp";

export const mcpCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    const as = requiredOption(values, "as", "NAME", COMMAND);
    positionalArgs(positionals, [], COMMAND);
    const key = await loadKey(common, as, COMMAND);
    // Loaded on demand: the MCP SDK is not needed by any other command.
    const mcp = await import("@plexus/mcp");
    const signals = waitForSignal(out);
    // The audit chain is read over a connection of its own (the mesh's service user in operator mode: an agent's
    // own NATS user may not read the audit streams).
    const nc = await connectService(common, `plexus mcp ${as}`);
    try {
      const agent = await connectAgent(common, key, out);
      try {
        const audit = (await mcp.auditChainExists(nc, common.mesh))
          ? mcp.jetStreamAudit({ nc, mesh: common.mesh })
          : undefined;
        const backend = await mcp.createAgentBackend({ agent, ...(audit ? { audit } : {}) });
        try {
          const server = mcp.createPlexusMcpServer(backend);
          const session = await mcp.serveStdio(server, { onError: (err) => out.warn(`mcp: ${oneLine(err)}`) });
          out.info(
            `plexus: MCP server on stdio as ${agent.did} in mesh "${common.mesh}"${audit ? "" : " (verify_audit is off: the mesh has no audit chain yet)"}`,
          );
          const why = await Promise.race([session.closed.then(() => "closed" as const), signals.signal]);
          if (why !== "closed") out.info(`plexus: ${why}: stopping the MCP server`);
          await session.close();
        } finally {
          await backend.close();
        }
      } finally {
        await agent.close();
      }
    } finally {
      signals.dispose();
      await nc.close();
    }
  },
};
