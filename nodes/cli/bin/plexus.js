#!/usr/bin/env node
// The `plexus` command runs the build (dist/main.js, made by `npm run build`; `npm install`, `npm start` and `npm test`
// build first). "#main" is resolved through this package's "imports": to dist/ normally, to src/main.ts under
// `--conditions=@plexus/source` (what the tests set), in which case tsx is registered to run the TypeScript.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// `plexus --version` (and the other spellings cli.ts accepts) answers before the command modules load: loading them
// all takes most of a second (bench/cli-startup.ts measures both).
if (["--version", "-V", "-v", "version"].includes(process.argv[2] ?? "")) {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`plexus ${version ?? "0.0.0"}\n`);
  process.exit(0);
}

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
