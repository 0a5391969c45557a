/**
 * Seeded randomness for fuzz and chaos tests: a run can be repeated exactly from its seed, which
 * each test prints (and takes from an environment variable when given).
 */

/** A small seeded generator (mulberry32): numbers in [0, 1). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `variable` from the environment, else a fresh one; printed either way. */
export function runSeed(variable: string, what: string): number {
  const given = process.env[variable];
  const seed = given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${what}: seed ${seed} (repeat with ${variable}=${seed})`);
  return seed;
}
