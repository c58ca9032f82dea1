/**
 * Tests run the TypeScript sources, never a possibly stale build: every @plexus package's exports map the
 * "@plexus/source" condition to src/ (dist/ otherwise), and this config turns that condition on for the test files
 * (Vite's resolver), for the worker processes (vitest passes ssr.resolve.conditions on as node --conditions) and,
 * through NODE_OPTIONS, for the processes tests start (the `plexus` bin, fixtures run with `--import tsx`).
 * The copy of schemas/ inside @plexus/core is refreshed first (scripts/build-assets.mjs).
 */
import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";
// @ts-expect-error: a plain JavaScript build script without declarations
import { syncSchemas } from "./scripts/build-assets.mjs";

const SOURCE = "@plexus/source";
syncSchemas();

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions.filter((c) => c !== "module")] } },
  test: {
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--conditions=${SOURCE}`].filter(Boolean).join(" ") },
  },
});
