/** A score flag (--score, --min-score): a number from 0 to 1. */
import { stringOption, type OptionValues } from "../common-options.js";
import { UsageError } from "../errors.js";

/** A number from 0 to 1 (a score). */
export function scoreOption(values: OptionValues, name: string, command: string): number | undefined {
  const v = stringOption(values, name, command);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v.trim()) || n > 1)
    throw new UsageError(`--${name} must be a number from 0 to 1, got "${v}"`, command);
  return n;
}
