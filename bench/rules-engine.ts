/**
 * The D&R detect engine's throughput on a realistic rule set (120 rules over 8 event types,
 * a mix of operators), against `JSON.parse` of the same events measured in the same run: the
 * goal is that evaluating an event against every rule costs no more than parsing it (ratio ≤ 1).
 * Rules are compiled once and indexed by event type, and a rule picked by the index skips its
 * root's own type check, as the Worker does (worker/rules/rule-set.ts, worker/rules/ingest.ts).
 * Run alone with `node bench/rules-engine.ts`; `npm run bench` includes it.
 */
import { fileURLToPath } from "node:url";
import { compileRule } from "../rules/rule/index.ts";
import { type RuleEntry, TargetRules } from "../worker/rules/rule-set.ts";

const TYPES = ["NEW_PROCESS", "DNS_REQUEST", "NETWORK_CONNECTIONS", "FILE_CREATE", "CODE_IDENTITY", "WEL", "USER_LOGIN", "MODULE_LOAD"];
const EVENTS = 20_000;
const RULES = 120;

/** Rule `i` of the realistic set (the NDJSON benchmark stores the same rules). */
export function ruleFor(i: number): Record<string, unknown> {
  const event = TYPES[i % TYPES.length];
  const k = Math.floor(i / TYPES.length);
  const nodes: Record<string, unknown>[] = [
    { op: "contains", path: "event/COMMAND_LINE", value: `tool${k}`, "case sensitive": false },
    { op: "ends with", path: "event/FILE_PATH", value: `evil${k}.exe`, "case sensitive": false },
    { op: "matches", path: "event/COMMAND_LINE", re: `-enc(odedcommand)?\\s+[a-z0-9+/]{${20 + k},}` },
    { op: "is", path: "event/PARENT/PROCESS_ID", value: 1000 + k },
    { op: "and", rules: [{ op: "is windows" }, { op: "starts with", path: "routing/hostname", value: `srv-${k}` }] },
    {
      op: "scope",
      path: "event/NETWORK_ACTIVITY/",
      rule: {
        op: "and",
        rules: [
          { op: "is", path: "event/DESTINATION/PORT", value: 4000 + k },
          { op: "is public address", path: "event/SOURCE/IP_ADDRESS" },
        ],
      },
    },
    { op: "string distance", path: "event/DOMAIN_NAME", value: [`example${k}.com`], max: 1 },
    { op: "cidr", path: "event/NETWORK_ACTIVITY/?/DESTINATION/IP_ADDRESS", cidr: `10.${k}.0.0/16` },
    { op: "exists", path: "event/PARENT/FILE_PATH", truthy: true, not: true },
    { op: "is greater than", path: "event/COMMAND_LINE", value: 4000 + k, "length of": true },
  ];
  const a = nodes[i % nodes.length] as Record<string, unknown>;
  const b = nodes[(i + 3) % nodes.length] as Record<string, unknown>;
  return {
    detect: { event, op: "and", rules: [a, { op: "or", rules: [b, { op: "is tagged", tag: `t${k}` }] }] },
    respond: [{ action: "report", name: `rule-${i}` }],
  };
}

/** Event `i`: a realistic EDR event of one of the eight types. */
export function eventFor(i: number): object {
  const type = TYPES[i % TYPES.length];
  return {
    routing: {
      oid: "8cbe27f4-bfa1-4afb-ba19-138cd51389cd",
      sid: `sensor-${i % 50}`,
      iid: "7d23bee6-c1ef-4b5c-8e4d-8e8c2a7fe7ee",
      event_type: type,
      event_time: 1_764_000_000_000 + i,
      event_id: `e-${i}`,
      hostname: `ws-${i % 200}.corp.example`,
      ext_ip: "203.0.113.9",
      int_ip: "10.1.2.3",
      plat: 0x10000000,
      arch: 2,
      this: `t${i}`,
      parent: `p${i}`,
      tags: ["workstation", "finance"],
    },
    event: {
      COMMAND_LINE: `"C:\\Program Files\\App\\app.exe" --config C:\\ProgramData\\app\\cfg-${i}.json --user bob --mode sync`,
      FILE_PATH: "C:\\Program Files\\App\\app.exe",
      PROCESS_ID: 4000 + (i % 3000),
      USER_NAME: "CORP\\bob",
      HASH: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      DOMAIN_NAME: `cdn${i % 17}.example.net`,
      PARENT: { PROCESS_ID: 812, FILE_PATH: "C:\\Windows\\explorer.exe", COMMAND_LINE: "C:\\Windows\\Explorer.EXE" },
      NETWORK_ACTIVITY: [
        { SOURCE: { IP_ADDRESS: "10.1.2.3", PORT: 50000 + (i % 1000) }, DESTINATION: { IP_ADDRESS: "93.184.216.34", PORT: 443 } },
        { SOURCE: { IP_ADDRESS: "10.1.2.3", PORT: 50001 }, DESTINATION: { IP_ADDRESS: "10.9.9.9", PORT: 445 } },
      ],
    },
  };
}

export interface RulesEngineFigures {
  rules: number;
  events: number;
  bytesPerEvent: number;
  engineEventsPerSecond: number;
  parseEventsPerSecond: number;
  matches: number;
}

/**
 * Milliseconds of CPU this process spent in `fn`: on a machine shared with other work, wall
 * time mostly measures the neighbours, and both sides of the ratio are single-threaded JS.
 */
function timed(fn: () => void): number {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

export function measureRulesEngine(): RulesEngineFigures {
  const index = new TargetRules();
  for (let i = 0; i < RULES; i++) {
    const c = compileRule(ruleFor(i));
    if (!c.ok) throw new Error(`bench rule ${i}: ${c.message}`);
    index.add({ name: `rule-${i}`, version: 1, body: "", rule: c.rule } satisfies RuleEntry);
  }
  const texts = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(eventFor(i)));
  const parsed = texts.map((t) => JSON.parse(t) as { routing: { event_type: string } });
  const ctx = { now: Date.now() };
  let matches = 0;
  const evaluate = () => {
    for (const ev of parsed)
      for (const e of index.candidates(ev.routing.event_type)) if (e.rule.detection.evaluate(ev, ctx, true).matched) matches++;
  };
  let sink = 0;
  const parse = () => {
    for (const t of texts) sink += (JSON.parse(t) as { event: object }).event ? 1 : 0;
  };
  // Warm both paths, then take the best of five rounds each (the least disturbed by others).
  evaluate();
  parse();
  let engineMs = Number.POSITIVE_INFINITY;
  let parseMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    matches = 0;
    engineMs = Math.min(engineMs, timed(evaluate));
    parseMs = Math.min(parseMs, timed(parse));
  }
  if (sink === 0) throw new Error("unreachable");
  return {
    rules: RULES,
    events: EVENTS,
    bytesPerEvent: Math.round(texts.reduce((n, t) => n + t.length, 0) / EVENTS),
    engineEventsPerSecond: (EVENTS / engineMs) * 1000,
    parseEventsPerSecond: (EVENTS / parseMs) * 1000,
    matches,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const f = measureRulesEngine();
  console.log(`${f.rules} rules, ${f.events} events of ~${f.bytesPerEvent} bytes, ${f.matches} matches`);
  console.log(
    `engine: ${f.engineEventsPerSecond.toFixed(0)} ev/s; JSON.parse: ${f.parseEventsPerSecond.toFixed(0)} ev/s; cost ratio ${(f.parseEventsPerSecond / f.engineEventsPerSecond).toFixed(2)}×`,
  );
}
