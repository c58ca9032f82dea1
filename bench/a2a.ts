/**
 * `npm run bench -- a2a`: A2A against the mesh, in one run on one fresh nats-server. Every path calls from this
 * process and answers from a child process; each is measured sequentially and with 32 calls in flight.
 *   1. direct A2A (the baseline a user would otherwise pick): @a2a-js/sdk's ClientFactory client, JSON-RPC over HTTP,
 *      to an echo agent on @a2a-js/sdk's own Express server; blocking SendMessage answered with a Message;
 *   2. the mesh's ACP request/reply: agent.request to a mesh agent that replies (signed, stored, verified both ways);
 *   3. the mesh's ACP one-way messaging: agent.send (resolves once stored) to a mesh agent whose handler counts;
 *   4. A2A through the gateway: the same client against the gateway's per-agent URL; the gateway and a registry node
 *      in one child (as `plexus up` runs them), the exposed echo agent (answering a2a.message by agent.reply) in another.
 * Target: the mesh's messaging at concurrency 32 at least 5x direct A2A's throughput; reported for request/reply and
 * for one-way separately. The gateway's overhead is reported against direct A2A.
 */
import { acpOneway, acpRequest, directA2A, gatewayA2A, withMeshPair, CONCURRENCY, type Sizes } from "./a2a-paths.js";
import { environment, log, round, startBenchServer, type BenchOptions, type BenchResult } from "./lib.js";

export const description =
  "direct A2A (SDK client+server) vs the mesh's ACP request/reply and one-way messaging vs A2A through the gateway: msgs/s, p50/p99, sequential and at concurrency 32";

export const TARGETS = { mesh_vs_direct_a2a_c32: 5 } as const;

const MESH = "bench-a2a";
const GATEWAY_MESH = "bench-a2a-gw";

function sizes(quick: boolean): Sizes {
  // Full runs are long enough for the JIT to settle on every path (a quick run understates direct A2A the most).
  return quick
    ? { warmup: 500, sequential: 200, concurrent: 1_000 }
    : { warmup: 1_000, sequential: 2_000, concurrent: 10_000 };
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const s = sizes(options.quick);
  const server = await startBenchServer();
  log(
    `a2a: nats-server ${server.version} at ${server.url}; ${s.sequential} sequential and ${s.concurrent} at concurrency ${CONCURRENCY} per path, ${s.warmup} warm-up${options.quick ? " (quick)" : ""}`,
  );
  try {
    const direct = await directA2A(s);
    const { requestReply, oneway } = await withMeshPair(server.url, MESH, async (caller, responder) => ({
      requestReply: await acpRequest(caller, responder, s),
      oneway: await acpOneway(caller, responder, s),
    }));
    const gateway = await gatewayA2A(server.url, GATEWAY_MESH, s);

    const base = direct.c32.msgs_per_s;
    const ratios = {
      ratio_request_reply_vs_a2a_c32: round(requestReply.c32.msgs_per_s / base, 2),
      ratio_oneway_vs_a2a_c32: round(oneway.c32.msgs_per_s / base, 2),
      ratio_gateway_vs_a2a_c32: round(gateway.c32.msgs_per_s / base, 3),
    };
    const overhead = {
      what: "gateway against direct A2A, same client: x = gateway / direct (p50 latency), added = gateway - direct (ms), throughput = gateway / direct msgs/s",
      sequential_p50_x: round(gateway.sequential.p50_ms / direct.sequential.p50_ms, 1),
      sequential_p50_added_ms: round(gateway.sequential.p50_ms - direct.sequential.p50_ms, 2),
      sequential_p99_added_ms: round(gateway.sequential.p99_ms - direct.sequential.p99_ms, 2),
      sequential_throughput: round(gateway.sequential.msgs_per_s / direct.sequential.msgs_per_s, 3),
      c32_p50_x: round(gateway.c32.p50_ms / direct.c32.p50_ms, 1),
      c32_p50_added_ms: round(gateway.c32.p50_ms - direct.c32.p50_ms, 2),
      c32_throughput: ratios.ratio_gateway_vs_a2a_c32,
    };
    log(
      `a2a: at c${CONCURRENCY}: direct A2A ${base} msgs/s; ACP request/reply ${requestReply.c32.msgs_per_s} (x${ratios.ratio_request_reply_vs_a2a_c32}), ` +
        `ACP one-way ${oneway.c32.msgs_per_s} (x${ratios.ratio_oneway_vs_a2a_c32}), gateway ${gateway.c32.msgs_per_s} (x${ratios.ratio_gateway_vs_a2a_c32}); ` +
        `gateway p50 sequential ${gateway.sequential.p50_ms} ms vs direct ${direct.sequential.p50_ms} ms`,
    );
    return {
      bench: "a2a",
      direct_a2a: {
        what: "@a2a-js/sdk ClientFactory client (JSON-RPC) -> @a2a-js/sdk Express server in a child process; blocking SendMessage answered with a Message",
        ...direct,
      },
      acp_request_reply: {
        what: "agent.request -> mesh agent in a child process replies with agent.reply; latency from the call until the reply was handed over",
        ...requestReply,
      },
      acp_oneway: {
        what: "agent.send (resolves once stored) -> mesh agent in a child process, listening throughout; msgs/s = n / (first send until the receiver handled the n-th); p50/p99 = send call to handler (wall clocks of two processes on one host); send_* = send call to stored",
        ...oneway,
      },
      gateway: {
        what: "the same A2A client -> gateway + registry node (one child, as plexus up) -> exposed mesh agent (another child) answering a2a.message with agent.reply({kind: 'message'})",
        ...gateway,
      },
      ...ratios,
      gateway_overhead: overhead,
      targets: TARGETS,
      met: {
        request_reply_vs_a2a_c32: ratios.ratio_request_reply_vs_a2a_c32 >= TARGETS.mesh_vs_direct_a2a_c32,
        oneway_vs_a2a_c32: ratios.ratio_oneway_vs_a2a_c32 >= TARGETS.mesh_vs_direct_a2a_c32,
      },
      sizes: { ...s, concurrency: CONCURRENCY },
      quick: options.quick,
      environment: { ...environment(), nats_server: server.version, date: new Date().toISOString() },
    };
  } finally {
    await server.close();
    log("a2a: server stopped");
  }
}
