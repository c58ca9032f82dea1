/**
 * The common options' help text and defaults, without importing @plexus/core (its schema compiler costs start-up
 * time that `plexus --help` should not pay). command-table.test.ts checks the defaults against core's Defaults.
 */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_MESH = "default";

export const COMMON_HELP = `Common options:
  --nats URL     NATS server URL(s), comma-separated (env PLEXUS_NATS_URL, default ${DEFAULT_NATS_URL})
  --mesh ID      mesh id (env PLEXUS_MESH, default "${DEFAULT_MESH}")
  --keys DIR     key folder (env PLEXUS_KEYS, default ~/.plexus/keys)
  --nats-auth DIR|off
                 NATS auth folder of a server in operator mode (env PLEXUS_NATS_AUTH, default "nats" next to the
                 key folder, ~/.plexus/nats): agents get their own NATS user through it, operator commands use the
                 mesh's service user; without the mesh's files there, or with off, connections carry no credentials
  --context NAME take the four above from this stored context (env PLEXUS_CONTEXT, default the current one, see
                 plexus context); a flag or an environment variable still wins over the context
  --json         machine-readable output: one JSON document per line on stdout
  -h, --help     show this help`;

/** The exit codes, for --help (from @plexus/core ERROR_SPECS; README "Errors" lists every error code with its exit code). */
export const EXIT_CODES_HELP =
  "Exit codes: 0 success, 1 failure, 2 usage error, 3 the audit chain or a history stream does not hold, 4 a sealer stalled, 5 a proof holds but its signer is not pinned, 6 invalid input (a bad value, DID or key name), 7 not found, 8 refused, 9 conflict, 10 unavailable (retry).";
