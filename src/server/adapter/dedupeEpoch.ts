/**
 * A new dedupe epoch (`hs.dd`): a random id for one incarnation of a dedupe store. 16 base-36 characters
 * (about 82 bits) from `Math.random`, enough that two incarnations never share one by chance.
 *
 * ```ts
 * const epoch = newDedupeEpoch(); // 'k3v9x0q1m2n8p7r4'
 * ```
 */
export function newDedupeEpoch(): string {
  return part() + part();
}

/** 8 base-36 characters (a fixed length: also when `Math.random` is stubbed to answer 0). */
function part(): string {
  return Math.floor(Math.random() * 36 ** 8).toString(36).padStart(8, '0');
}
