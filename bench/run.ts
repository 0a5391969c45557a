/**
 * `npm run bench`: the platform's hot paths, each beside a baseline measured in the same run,
 * so the ratios hold on a noisy machine. Prints one table per section and writes every figure
 * to bench/results.json. `BENCH_ONLY=<section>[,<section>]` runs some sections only:
 *   fanout  runner → session Durable Object → 10 clients, vs a bare `ws` relay, and vs one that
 *           commits each frame to SQLite before forwarding it;
 *   prompt  prompt → first assistant event through the platform, vs Claude Code directly (sent as
 *           the last turn ends, and at rest: a second after);
 *   cold_start  create session → first assistant event, vs starting Claude Code directly;
 *   history  first byte of a 1,000-event history page and of the history frame, 50,000 stored;
 *   upload  RSS growth of the platform's processes during a 100 MB upload;
 *   wake  dormant session with a 50 MB workspace → first event of the resumed turn, vs cold start;
 *   rules  the D&R detect engine over a realistic rule set, vs JSON.parse of the same events;
 *          and the Worker's memory while 10,000 NDJSON events stream through the events route.
 *   container  create session → first assistant event with runners in containers (warm pool, and without),
 *          vs processes and vs Claude Code directly; image size.
 * `fanout`, `prompt`, `cold_start` and `wake` run the Worker under Miniflare without wrangler dev's proxy (bench/platform.ts);
 * `BENCH_RUNTIME=wrangler` runs them through `wrangler dev`.
 */
import { coldStartSection } from "./cold-start.ts";
import { containerSection } from "./container-start.ts";
import { historySection } from "./history.ts";
import { uploadSection } from "./upload.ts";
import { wakeSection } from "./wake.ts";
import { fanoutSection, promptSection, type Section } from "./sections.ts";
import { figureRow, writeResults, RESULTS_PATH, type Figure } from "./results.ts";
import { measureRulesEngine } from "./rules-engine.ts";
import { rulesNdjsonSection } from "./rules-ndjson.ts";

// wrangler dev's local trace collector (on by default) records every Durable Object storage
// call as a span in a SQLite store of its own, in the same workerd process: a dev-only cost
// that production does not have, and it was most of the relay latency measured here.
process.env.X_LOCAL_OBSERVABILITY ??= "false";

/** The detect engine's cost per event against parsing the same events (goal: ratio ≤ 1). */
async function rulesSection(): Promise<Section> {
  const engine = measureRulesEngine();
  const platform = 1e6 / engine.engineEventsPerSecond;
  const baseline = 1e6 / engine.parseEventsPerSecond;
  return {
    title: `D&R detect engine: ${engine.rules} rules, ${engine.events} events of ~${engine.bytesPerEvent} bytes (goal: time per event ≤ JSON.parse's)`,
    columns: ["rules engine", "JSON.parse of the same events"],
    figures: [{ id: "rules_engine_us_per_event", figure: "µs per event", unit: "µs", platform, baseline, ratio: platform / baseline }],
    digits: 2,
  };
}

/** Every section (or group of sections), in the order they run. */
const SECTIONS: Record<string, () => Promise<Section | Section[]>> = {
  fanout: fanoutSection,
  prompt: promptSection,
  cold_start: coldStartSection,
  history: historySection,
  upload: uploadSection,
  wake: wakeSection,
  rules: async () => [await rulesSection(), await rulesNdjsonSection()],
  container: containerSection,
};

const only = process.env.BENCH_ONLY?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only?.filter((name) => !(name in SECTIONS)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown BENCH_ONLY section(s): ${unknown.join(", ")}; known: ${Object.keys(SECTIONS).join(", ")}`);
  process.exit(2);
}

console.log(`Benchmarks (${new Date().toISOString()}, ${process.version})\n`);
const figures: Figure[] = [];
let number = 0;
for (const [name, run] of Object.entries(SECTIONS)) {
  if (only && !only.includes(name)) continue;
  try {
    for (const section of [await run()].flat()) {
      number += 1;
      console.log(`${number}. ${section.title}\n`);
      console.log(`| figure | ${section.columns[0]} | ${section.columns[1]} | ratio |`);
      console.log("|---|---|---|---|");
      for (const f of section.figures) console.log(figureRow(f, section.digits));
      console.log("");
      figures.push(...section.figures);
    }
  } catch (error) {
    number += 1;
    // A section that fails is reported and left out of results.json, never guessed.
    console.log(`${number}. ${name}: not measured (${error instanceof Error ? error.message.split("\n")[0] : String(error)})\n`);
  }
}
writeResults(figures);
console.log(`${figures.length} figure(s) written to ${RESULTS_PATH}`);
process.exit(0);
