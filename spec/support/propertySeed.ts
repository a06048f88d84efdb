import fc from 'fast-check';

/**
 * The seed of every property test: `FC_SEED` from the environment, else a fixed one, so a run is repeatable
 * and a failure can be replayed. fast-check prints the seed (and the path to the shrunk counterexample) in
 * the failure message; rerun with `FC_SEED=<seed> npx jest <suite>` to reproduce it. CI may set a random
 * `FC_SEED` to explore further; the printed seed makes any failure it finds reproducible.
 */
export const PROPERTY_SEED: number = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20_240_610;

/** Parameters for `fc.assert`: the seed above plus the test's own (`numRuns`, ...). */
export function seeded<T>(params: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: PROPERTY_SEED, ...params };
}
