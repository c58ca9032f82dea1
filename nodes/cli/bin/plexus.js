#!/usr/bin/env node
// The `plexus` command runs the build (dist/main.js, made by `npm run build`; `npm install`, `npm start` and `npm test`
// build first). "#main" is resolved through this package's "imports": to dist/ normally, to src/main.ts under
// `--conditions=@plexus/source` (what the tests set), in which case tsx is registered to run the TypeScript.
// `plexus --version` and `--help` answer before any command module loads (src/fast-path.ts).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = import.meta.resolve("#main");
if (entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api");
  register();
} else if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    `plexus: not built (${fileURLToPath(entry)} is missing): run \`npm run build\` in the Plexus checkout\n`,
  );
  process.exit(1);
}
await import(entry);
