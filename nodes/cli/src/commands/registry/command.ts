/** The `plexus registry` entry of the command table (its implementation in ./start.ts, loaded on dispatch). */
import { DEFAULT_HTTP, DEFAULT_REGISTRY_KEY } from "../../lib/defaults.js";
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "registry",
  summary: "run a registry node: membership, liveness, reputation, discovery; Ctrl-C stops it",
  usage:
    "plexus registry start [--http HOST:PORT|off] [--registry-key NAME] [--data DIR|off] [--no-sealer] [--public-url URL]... [--heartbeat S] [--suspect-after S] [--offline-after S] [--gone-after S] [--credential-ttl S] [--half-life S] [--nats-user-ttl S] [--max-lag-events N] [--max-lag-seconds S] [--trust-anchor DID]... [--trust-registry DID]... [--operator DID]...\n  plexus registry start --sealed (--registry-did DID | --unseal-share FILE...) [--custodian DID]... [other start options]\n  plexus registry unseal --share FILE --as KEYNAME [--url URL]",
  help: `Starts a registry node for the mesh on the NATS server(s) of --nats: it rebuilds its view of the agents from
the mesh's log, answers join, leave, rate, agents, discover and reputation requests on NATS, serves the read-only
HTTP API, runs an audit sealer next to it (as plexus audit seal: with several nodes, one sealer writes and the others
stand by; a stalled, refused or failed sealer makes /readyz answer 503 with the reason, under "components.sealer"),
and runs until Ctrl-C (SIGINT) or SIGTERM, then stops cleanly and exits 0. Several nodes may serve one mesh; they
share the requests.

Prints the registry's DID, the HTTP URL and the NATS subjects it serves; with --json one line:
{"registry","mesh","nats","http","data","subjects":{"service","events","heartbeats"},"sealer"} (http null with --http
off; sealer: the sealer's id, null with --no-sealer).

Options:
  --http HOST:PORT|off    HTTP API address (default ${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}; port 0 picks a free one; off: no HTTP)
  --registry-key NAME     the key in --keys the registry signs with (default "${DEFAULT_REGISTRY_KEY}"; created if missing)
  --data DIR|off          snapshot folder, so a restart replays only the log after the last snapshot
                          (default: registry/<mesh> next to the key folder, ~/.plexus/registry/<mesh>; off: none);
                          the sealer keeps its history anchors in DIR/sealer
  --no-sealer             do not run an audit sealer here (another node, or plexus audit seal, runs one)
  --public-url URL        where clients reach this node's HTTP when that is not --http: a published port, a proxy,
                          a DNS name (repeatable; e.g. http://localhost:7421). /mcp checks the Host header against
                          DNS rebinding: it accepts the --http address, localhost and 127.0.0.1 on that port, and the
                          host:port of each URL given here, nothing else
  --max-lag-events N      not ready (/readyz 503; requests answered NOT_READY) while more than N events behind the
                          mesh log's end (default 10000; 0: no limit); /v1/status shows the lag under "lag"
  --max-lag-seconds S     nor while the oldest event not yet applied was seen more than S seconds ago, nor while the
                          log's end could not be read for S seconds (no quorum: the node cannot know it is current)
                          (default 10; 0: no limit). A follower that reads nothing for 3 s while behind follows again by itself

Started while JetStream has no quorum (a cluster coming up, 2 of 3 servers down), the node waits and says so
("plexus: waiting for JetStream (no quorum yet: …), retrying in Ns"), then starts; it exits only on a permanent error
(credentials refused, invalid settings).

Tuning (seconds; every registry node of a mesh should use the same values):
  --heartbeat S           how often agents are asked to beat (default 5)
  --suspect-after S       silence that makes an agent suspect (default 3 beats), --offline-after S (6 beats),
  --gone-after S          and gone (120 beats)
  --credential-ttl S      membership credential lifetime (default 86400; the SDK renews at 80 %)
  --half-life S           half-life of reputation evidence (default 604800, 7 days)
  --trust-anchor DID      make DID a trust anchor (an agent EigenTrust pre-trusts; repeatable; a key name in --keys
                          works too): once caught up with the log the node appends TrustAnchorAdded for each one not
                          anchored yet, so every node of the mesh agrees. Dropping the flag later removes nothing:
                          use plexus trust remove (and drop the flag, or the next start adds it again)
  --operator DID          a key that may suspend and resume agents (repeatable; the registry's own key always may)
  --nats-user-ttl S       lifetime of the NATS user JWTs it issues agents in operator mode (default 3600; the SDK
                          renews at 80 %). In operator mode (the mesh's files in --nats-auth) the node connects as
                          the mesh's service user, issues agents their user JWTs and revokes suspended ones
  --trust-registry DID    another registry key whose events this node accepts (repeatable); nodes of one mesh
                          normally share one registry key, and then need none

Sealed start (the key exists only as Shamir shares, see plexus keys split; it runs no sealer): the node serves only
/healthz, /readyz (503), /v1/status {"data":{"sealed":true,"did","threshold","received",…},"asOf"} and the unseal
API, answers nothing on NATS and signs nothing until K shares restore the committed key; then it starts as a normal
node (same HTTP address), the key kept in memory only. A wrong set of shares is refused and the node stays sealed.
  --sealed                start sealed
  --registry-did DID      the key the shares must restore (default: the one the --unseal-share files name)
  --unseal-share FILE     a share file (repeatable); K of them unseal at start
  --custodian DID         a custodian allowed to give a share over HTTP (repeatable; a key name in --keys works)

plexus registry unseal --share FILE --as KEYNAME [--url URL]: gives one share to a sealed node at --url (default
http://${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}), signed by the custodian key KEYNAME over a fresh nonce from the node (so it cannot be
replayed). Prints how many shares the node holds (--json: {"sealed","did","threshold","received","index"}).`,
  subcommands: [
    {
      name: "start",
      summary: "run a registry node until Ctrl-C (--sealed: start sealed, unsealed by K key shares)",
      usage:
        "plexus registry start [--http HOST:PORT|off] [--registry-key NAME] [--data DIR|off] [--no-sealer] [tuning options] | --sealed …",
      options: {
        http: { type: "string" },
        "registry-key": { type: "string" },
        data: { type: "string" },
        heartbeat: { type: "string" },
        "suspect-after": { type: "string" },
        "offline-after": { type: "string" },
        "gone-after": { type: "string" },
        "credential-ttl": { type: "string" },
        "half-life": { type: "string" },
        "nats-user-ttl": { type: "string" },
        "max-lag-events": { type: "string" },
        "max-lag-seconds": { type: "string" },
        "trust-anchor": { type: "string", multiple: true },
        operator: { type: "string", multiple: true },
        "trust-registry": { type: "string", multiple: true },
        sealed: { type: "boolean" },
        "registry-did": { type: "string" },
        "unseal-share": { type: "string", multiple: true },
        custodian: { type: "string", multiple: true },
        "no-sealer": { type: "boolean" },
        "public-url": { type: "string", multiple: true },
      },
      optionValues: { data: "file", "unseal-share": "file" },
      load: () => import("./start.js").then((m) => m.registryCommand),
    },
    {
      name: "unseal",
      summary: "give one key share to a sealed registry node",
      usage: "plexus registry unseal --share FILE --as KEYNAME [--url URL]",
      options: { url: { type: "string" }, share: { type: "string" }, as: { type: "string" } },
      optionValues: { share: "file" },
      load: () =>
        import("./sealed.js").then((m) => ({
          run: ({ common, values, positionals, out }) => m.runUnseal(common, values, positionals, out),
        })),
    },
  ],
};
