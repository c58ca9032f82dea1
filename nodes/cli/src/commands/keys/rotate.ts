/**
 * `plexus keys rotate NAME [--compromised] [--registry]`: move an identity to a fresh key. The old key signs the
 * rotation, the new key proves it accepts it; the registry moves the agent's record, card, credentials and reputation
 * (or, with --registry, the log records the registry's new key). The key file NAME then holds the new key; the old one
 * is kept as NAME.rotated-<time>. A refused rotation leaves no new key file behind; one whose answer never came keeps
 * it (NAME.next), so running the command again finishes it.
 */
import { rename, rm } from "node:fs/promises";
import { readShareFiles, restoreKeyPair, writeShareFiles } from "@plexus/custody";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { rotateRegistryKey } from "@plexus/registry";
import type { Agent } from "@plexus/sdk";
import { intOption, positionalArgs, stringOption, type CommandContext } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { checkKeyName, connectAgent, keyStore, loadKey } from "../../session.js";
import { refusal } from "../../lib/registry-request.js";
import { COMMAND, type KeysSubcommand } from "./shared.js";
import { connectService } from "../../nats-auth.js";

interface Rotated {
  from: string;
  to: string;
  seq: number;
  revoked?: number;
}

export const rotateKey: KeysSubcommand = {
  async run(ctx, args) {
    const { common, values, out } = ctx;
    const [name] = positionalArgs(args, ["NAME"], COMMAND) as [string];
    checkKeyName(name, COMMAND, "NAME");
    const registry = values["registry"] === true;
    const fromShares = stringOption(values, "from-shares", COMMAND);
    const split = splitOptions(ctx);
    if (!registry && (fromShares !== undefined || split))
      throw new UsageError("--from-shares and --shares/--threshold/--out go with --registry", COMMAND);
    const compromised = values["compromised"] === true;
    if (registry && compromised)
      throw new UsageError(
        "--compromised is for an agent's key; a registry key's rotation already stops its later events counting",
        COMMAND,
      );
    if (fromShares !== undefined && !split)
      throw new UsageError(
        "--from-shares needs --shares N --threshold K --out DIR: the new key is kept only as shares",
        COMMAND,
      );

    const oldKey = fromShares !== undefined ? await keyFromShares(fromShares) : await loadKey(common, name, COMMAND);
    const store = keyStore(common);
    const next = `${name}.next`;
    // The new key is stored once connected, before anything is signed, so an interrupted rotation can be finished by
    // running the command again.
    let newKey: KeyPair | undefined;
    const obtainNewKey = async (): Promise<KeyPair> =>
      (newKey = (await store.has(next)) ? await store.load(next) : await storeNew(store, next));
    let rotated: Rotated;
    try {
      rotated = registry
        ? await rotateRegistry(ctx, oldKey, obtainNewKey)
        : await rotateAgent(ctx, oldKey, obtainNewKey, compromised);
    } catch (err) {
      // Refused: the mesh never took the new key, so nothing is left behind. Any other failure (no answer, an unclear
      // refusal) keeps it: the rotation may have been stored, and running the command again finishes it.
      if (err instanceof Refused) {
        await rm(store.pathOf(next), { force: true });
        throw err.error;
      }
      if (newKey !== undefined && err instanceof Error)
        err.message += ` (the new key is kept in ${store.pathOf(next)}: run the command again to finish)`;
      throw err;
    }
    let archived: string | null = null;
    let shares: string[] | null = null;
    if (split) {
      const seed = (newKey as KeyPair).exportSeed();
      try {
        shares = (await writeShareFiles(seed, { ...split, name })).files;
      } finally {
        seed.fill(0);
      }
    }
    if (fromShares === undefined) {
      archived = store.pathOf(`${name}.rotated-${new Date().toISOString().replace(/[:.]/g, "-")}`);
      await rename(store.pathOf(name), archived);
      await rename(store.pathOf(next), store.pathOf(name));
    } else {
      // Custody by shares: the new key exists only as the new shares.
      await rm(store.pathOf(next));
    }
    out.info(
      `plexus: ${registry ? "registry key" : "key"} "${name}" rotated: ${rotated.from} → ${rotated.to} (log position ${rotated.seq})`,
    );
    if (rotated.revoked !== undefined)
      out.info(
        `plexus: the old key was marked compromised: ${rotated.revoked} credential(s) it issued revoked with the rotation`,
      );
    if (archived) out.info(`plexus: the old key is kept in ${archived}`);
    if (shares) out.info(`plexus: the new key is split into ${shares.length} shares: ${shares.join(", ")}`);
    out.data(rotated.to, { name, ...rotated, archived, shares });
  },
};

function splitOptions({ values }: CommandContext): { shares: number; threshold: number; outDir: string } | undefined {
  const shares = intOption(values, "shares", COMMAND, 2, 255);
  const threshold = intOption(values, "threshold", COMMAND, 2, 255);
  const outDir = stringOption(values, "out", COMMAND);
  if (shares === undefined && threshold === undefined && outDir === undefined) return undefined;
  if (shares === undefined || threshold === undefined || outDir === undefined)
    throw new UsageError("splitting the new key needs --shares N, --threshold K and --out DIR", COMMAND);
  if (threshold > shares) throw new UsageError(`--threshold ${threshold} is more than --shares ${shares}`, COMMAND);
  return { shares, threshold, outDir };
}

async function storeNew(store: ReturnType<typeof keyStore>, name: string): Promise<KeyPair> {
  const key = generateKeyPair();
  await store.add(name, key);
  return key;
}

async function keyFromShares(list: string): Promise<KeyPair> {
  try {
    return restoreKeyPair(
      await readShareFiles(
        list
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== ""),
      ),
    ).keyPair;
  } catch (err) {
    if (isPlexusError(err))
      throw new CliError(`cannot restore the old key from --from-shares: ${err.message} [${err.code}]`, { cause: err });
    throw err;
  }
}

/** The mesh refused the rotation (it never took the new key): `error` is what to tell the user. */
class Refused extends Error {
  constructor(readonly error: unknown) {
    super("refused");
  }
}

/** Refusals that say the registry did not take this rotation (whatever the new key): its file can go. */
const DEFINITIVE = new Set([
  "not_joined",
  "rotation_invalid",
  "suspended",
  "bad_signature",
  "did_key_mismatch",
  "malformed",
  "schema_invalid",
]);

async function rotateAgent(
  ctx: CommandContext,
  oldKey: KeyPair,
  obtainNewKey: () => Promise<KeyPair>,
  compromised: boolean,
): Promise<Rotated> {
  const { common, out } = ctx;
  const what = `the rotation of ${oldKey.did}`;
  let newKey: KeyPair | undefined;
  let agent: Agent | undefined;
  try {
    agent = await connectAgent(common, oldKey, out);
    newKey = await obtainNewKey();
    return await agent.registry.rotate(oldKey, newKey, { compromised });
  } catch (err) {
    if (!isPlexusError(err, ErrorCode.RequestRefused)) throw err;
    const reason = err.details?.["reason"];
    if (reason === "rotated") {
      // Rotated already: by an interrupted run of this command (finish the file swap), or to another key.
      const successor = newKey ?? (await obtainNewKey());
      const moved = await isSuccessor(ctx, oldKey, successor);
      if (moved) return { from: oldKey.did, to: successor.did, seq: 0 };
      throw new Refused(refusal(err, what));
    }
    if (typeof reason === "string" && DEFINITIVE.has(reason)) throw new Refused(refusal(err, what));
    // Anything else (a challenge used twice: maybe this very request, stored once already) leaves the new key in place.
    throw refusal(err, what);
  } finally {
    await agent?.close();
  }
}

/** Whether the registry knows `newKey` as the agent `oldKey` rotated to (asked over the new key's own connection). */
async function isSuccessor({ common, out }: CommandContext, oldKey: KeyPair, newKey: KeyPair): Promise<boolean> {
  const agent = await connectAgent(common, newKey, out).catch((err: unknown) => {
    if (isPlexusError(err, ErrorCode.RequestRefused)) return undefined; // operator mode: a key the registry does not know
    throw err;
  });
  if (!agent) return false;
  try {
    const view = await agent.registry.agent(newKey.did).catch((err: unknown) => {
      if (isPlexusError(err, ErrorCode.AgentNotFound)) return undefined;
      throw err;
    });
    return view?.result.previousDids?.includes(oldKey.did) === true;
  } finally {
    await agent.close();
  }
}

async function rotateRegistry(
  { common }: CommandContext,
  oldKey: KeyPair,
  obtainNewKey: () => Promise<KeyPair>,
): Promise<Rotated> {
  const nc = await connectService(common, `plexus ${COMMAND} rotate`);
  try {
    return await rotateRegistryKey(nc, common.mesh, oldKey, await obtainNewKey());
  } catch (err) {
    if (isPlexusError(err, ErrorCode.InvalidArgument)) throw new Refused(new CliError(err.message, { cause: err }));
    throw err;
  } finally {
    await nc.close();
  }
}
