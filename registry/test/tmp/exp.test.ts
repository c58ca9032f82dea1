import { startTestCluster } from "@plexus/testing";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { jetstreamManager, jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { it } from "vitest";

function describeErr(err: any): string {
  const out: string[] = [];
  for (let e = err; e && out.length < 5; e = e.cause) out.push(`${e.name}(${e.code ?? ""}/${e.status ?? ""}): ${e.message}`);
  return out.join(" <- ");
}

it("experiment", async () => {
  const cluster = await startTestCluster({ servers: 3 });
  try {
    const nc = await connectBus({ servers: cluster.url });
    await ensureMeshStream(nc, "exp");
    const kvm = new Kvm(jetstream(nc));
    const kv = await kvm.create("hb", { history: 1 });
    await kv.put("a", "1");
    const l = await cluster.leaderOf("KV_hb");
    const ls = await cluster.leaderOf("PLEXUS_exp").catch(() => -1);
    console.log("kv leader", l, "stream leader", ls);
    await cluster.servers[l]!.kill();
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      try { await kv.put("a", "2"); console.log("put ok"); } catch (err) { console.log("put R1 leader down:", Date.now() - t, describeErr(err)); }
    }
    const jsm = await jetstreamManager(nc);
    try { await jsm.streams.info("KV_hb"); console.log("info ok"); } catch (err) { console.log("info R1 leader down:", describeErr(err)); }
    // kill another: no quorum
    const other = [0, 1, 2].find((i) => i !== l)!;
    await cluster.servers[other]!.kill();
    const t = Date.now();
    try { await jetstreamManager(nc, { timeout: 3000 }); console.log("jsm ok"); } catch (err) { console.log("jsm no quorum:", Date.now() - t, describeErr(err)); }
    try { await jsm.streams.info("PLEXUS_exp"); console.log("info ok"); } catch (err) { console.log("info no quorum:", describeErr(err)); }
    try { await kv.put("a", "3"); console.log("put ok"); } catch (err) { console.log("put no quorum:", describeErr(err)); }
    try { await jsm.getAccountInfo(); console.log("acct ok"); } catch (err) { console.log("acct no quorum:", describeErr(err)); }
    await nc.close();
  } finally {
    await cluster.cleanup();
  }
}, 120_000);
