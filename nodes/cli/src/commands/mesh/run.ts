/**
 * `plexus mesh create [--replicas N]` and `plexus mesh status`: provisioning a mesh with its replica count as the
 * admin user (@plexus/nodes provisionOn, what plexus up runs too), and the replication report every node serves
 * (@plexus/bus replicationReport).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, MAX_REPLICAS, readAdminCreds, replicationReport, type ReplicationReport } from "@plexus/bus";
import { hasMeshAuth } from "@plexus/bus/internal";
import { ErrorCode } from "@plexus/core";
import { provisionOn } from "@plexus/nodes";
import { intOption, type CommandImpl, type CommonOptions } from "../../common-options.js";
import { CliError } from "../../errors.js";
import { connectService, explainRefusal } from "../../nats-auth.js";
import { printable } from "../../output.js";

export const createMesh: CommandImpl = {
  async run({ common, values, out }) {
    const replicas = intOption(values, "replicas", "mesh create", 1, MAX_REPLICAS);
    const nc = await connectAdmin(common);
    try {
      const done = await provisionOn(nc, common.mesh, out, replicas !== undefined ? { replicas } : {});
      const report = await replicationReport(nc, common.mesh);
      const changed = done.changed.map((c) => `changed   ${c.name}: ${c.from} -> ${c.to} replicas`);
      out.data(
        [`mesh      ${common.mesh} provisioned (stream ${done.stream})`, ...changed, ...reportLines(report)].join("\n"),
        {
          mesh: common.mesh,
          replicas: done.replicas,
          stream: done.stream,
          changed: done.changed,
          replication: report,
        },
      );
    } finally {
      await nc.close();
    }
  },
};

export const meshStatus: CommandImpl = {
  async run({ common, out }) {
    const nc = await connectService(common, "plexus mesh status");
    try {
      const report = await replicationReport(nc, common.mesh);
      if (report.source === "default")
        throw new CliError(`mesh "${common.mesh}" does not exist on ${common.nats} (no mesh stream)`, {
          code: ErrorCode.MeshNotFound,
        });
      out.data(reportLines(report).join("\n"), report);
    } finally {
      await nc.close();
    }
  },
};

/** The admin user of the mesh (operator mode), or no credentials when the folder has none for the mesh (open server). */
async function connectAdmin(common: CommonOptions): Promise<NatsConnection> {
  const dir = common.natsAuth;
  const creds = dir ? await readAdminCreds(dir, common.mesh) : undefined;
  if (dir && !creds && (await hasMeshAuth(dir, common.mesh)))
    throw new CliError(
      `the NATS auth folder ${dir} has no admin user for mesh "${common.mesh}" (made by an older plexus): run plexus init --mesh ${common.mesh} --nats-auth ${dir} to add it`,
      { code: ErrorCode.ConfigInvalid },
    );
  return connectBus({
    servers: common.nats,
    name: "plexus mesh create (provisioning)",
    ...(creds ? { credentials: { creds } } : {}),
  }).catch(async (err: unknown) => {
    throw await explainRefusal(common, err);
  });
}

function reportLines(r: ReplicationReport): string[] {
  const from = {
    metadata: "the mesh's settings",
    stream: "the mesh stream (no settings written)",
    default: "default",
    unavailable: "the mesh stream did not answer: the most any stream keeps",
  };
  const width = Math.max(0, ...r.streams.map((s) => s.name.length));
  return [
    `replicas  ${r.asked} asked (${from[r.source]})`,
    ...r.streams.map((s) => {
      if (s.error !== undefined) return `  ${s.name.padEnd(width)}  did not answer: ${printable(s.error)}`;
      const lagging = (s.peers ?? []).filter((p) => !p.current || p.offline);
      const behind = lagging.map((p) => `${p.name}${p.offline ? " offline" : ""}${p.lag ? ` lag ${p.lag}` : ""}`);
      return `  ${s.name.padEnd(width)}  ${s.replicas} configured, ${s.current} current${s.leader ? `, leader ${s.leader}` : ""}${behind.length > 0 ? ` (behind: ${behind.join(", ")})` : ""}`;
    }),
    ...r.warnings.map((w) => `warning   ${w}`),
  ];
}
