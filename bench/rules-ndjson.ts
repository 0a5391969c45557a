/**
 * NDJSON ingestion's memory: 10,000 events (about 10 MB) streamed to `POST /v1/orgs/{oid}/events`
 * of an org with the engine benchmark's 120 rules plus one that reports 1% of the events, while
 * the Worker's resident memory (the workerd processes of wrangler dev) is sampled every 20 ms.
 * The body is read line by line (worker/rules/event-body.ts): a Worker that held it whole
 * would grow by at least its size with every stream. A fresh workerd's V8 heap grows over the
 * first few streams whatever the Worker keeps (parsed events are garbage, and the heap expands
 * before it collects), then stays put; so streams are sent until one grows it by less than
 * WARM_MB (at most WARM_STREAMS), and the figure is the next one. No baseline: the goal is flat.
 */
import http from "node:http";
import { startLocalPlatform } from "../scripts/local-platform.ts";
import { figure } from "./results.ts";
import { descendants, rssByProcess, total } from "./rss.ts";
import { eventFor, ruleFor } from "./rules-engine.ts";
import type { Section } from "./sections.ts";
import { vars } from "./platform.ts";

/** Events per body (the route's NDJSON maximum). */
const EVENTS = 10_000;
/** Rules of the org (as in the engine benchmark), besides the reporting one. */
const RULES = 120;
/** One event in this many matches the reporting rule (a detection stored per match). */
const MATCH_EVERY = 100;
/** A warm-up stream that grows workerd by less than this ends the warm-up. */
const WARM_MB = 5;
/** Warm-up streams at most (the heap settled after five to seven in trials). */
const WARM_STREAMS = 10;
const OPERATOR_TOKEN = "bench-operator-token-0123456789";
const OID = "bench-ndjson";

function eventLine(i: number): string {
  const e = eventFor(i) as { routing: Record<string, unknown>; event: Record<string, unknown> };
  if (i % MATCH_EVERY === 0) {
    e.routing.event_type = "NEW_PROCESS";
    e.event.COMMAND_LINE = `mimikatz.exe sekurlsa::logonpasswords ${i}`;
  }
  return `${JSON.stringify(e)}\n`;
}

/** POSTs EVENTS NDJSON lines to `url`, written in ~64 KB chunks with backpressure; resolves with the answer. */
function postStreamed(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const req = http.request(url, { method: "POST", headers: { ...headers, "content-type": "application/x-ndjson" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), bytes }));
    });
    req.once("error", reject);
    let i = 0;
    const write = () => {
      while (i < EVENTS) {
        let chunk = "";
        while (i < EVENTS && chunk.length < 64 * 1024) chunk += eventLine(i++);
        bytes += Buffer.byteLength(chunk);
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

async function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.json() as Promise<Record<string, unknown>>;
}

/** RSS growth of the Worker's processes while 10,000 NDJSON events stream in and are evaluated. */
export async function rulesNdjsonSection(): Promise<Section> {
  const platform = await startLocalPlatform({ vars: { ...vars, ORG_ADMIN_TOKEN: OPERATOR_TOKEN } });
  try {
    const base = platform.baseUrl;
    const created = await call(base, "POST", `/v1/orgs/${OID}/keys`, { authorization: `Bearer ${OPERATOR_TOKEN}` }, { name: "bench" });
    const headers = { authorization: `Bearer ${created.key as string}`, "x-lc-oid": OID };
    for (let i = 0; i < RULES; i++) await call(base, "PUT", `/v1/orgs/${OID}/rules/rule-${i}`, headers, { enabled: true, ...ruleFor(i) });
    await call(base, "PUT", `/v1/orgs/${OID}/rules/mimikatz`, headers, {
      enabled: true,
      detect: { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz", "case sensitive": false },
      respond: [{ action: "report", name: "mimikatz on {{ .routing.hostname }}", priority: 3 }],
    });
    const url = `${base}/v1/orgs/${OID}/events`;
    const check = (answer: { status: number; body: string }) => {
      if (answer.status !== 200) throw new Error(`NDJSON POST answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      const results = (JSON.parse(answer.body) as { results: { detections: string[]; error?: string }[] }).results;
      const errors = results.filter((r) => r.error).length;
      const detections = results.reduce((n, r) => n + r.detections.length, 0);
      if (results.length !== EVENTS || errors > 0 || detections !== EVENTS / MATCH_EVERY)
        throw new Error(`NDJSON answered ${results.length} results, ${errors} errors, ${detections} detections`);
    };

    const pids = descendants(process.pid);
    const workerd = (sizes: Map<string, number>) => new Map([...sizes].filter(([name]) => name.startsWith("workerd ")));
    const cold = total(workerd(rssByProcess(pids)));
    let warmups = 0;
    for (let last = cold; warmups < WARM_STREAMS; ) {
      check(await postStreamed(url, headers));
      warmups++;
      const now = total(workerd(rssByProcess(pids)));
      if (now - last < WARM_MB) break;
      last = now;
    }
    const firstGrowth = total(workerd(rssByProcess(pids))) - cold;

    const initial = rssByProcess(pids);
    const before = total(workerd(initial));
    let peak = before;
    const peaks = new Map(initial);
    const sample = () => {
      const now = rssByProcess(pids);
      peak = Math.max(peak, total(workerd(now)));
      for (const [name, mb] of now) peaks.set(name, Math.max(peaks.get(name) ?? 0, mb));
    };
    const sampler = setInterval(sample, 20);
    const startedAt = performance.now();
    const answer = await postStreamed(url, headers);
    const seconds = (performance.now() - startedAt) / 1000;
    clearInterval(sampler);
    sample();
    check(answer);
    const growth = [...peaks]
      .map(([name, mb]) => [name, mb - (initial.get(name) ?? 0)] as const)
      .filter(([, mb]) => mb >= 1)
      .map(([name, mb]) => `${name.split(" ")[0]} +${mb.toFixed(0)} MB`);
    return {
      title: `NDJSON ingestion: ${EVENTS} events (${(answer.bytes / 1e6).toFixed(1)} MB) streamed to POST /v1/orgs/{oid}/events against ${RULES + 1} rules, ${EVENTS / MATCH_EVERY} detections stored, after ${warmups} warm-up streams (which grew workerd ${firstGrowth.toFixed(0)} MB) (${seconds.toFixed(1)} s, ${(EVENTS / seconds).toFixed(0)} events/s; workerd RSS ${before.toFixed(0)} MB before; peaks of all ${pids.length} processes: ${growth.join(", ") || "none grew"})`,
      columns: ["platform", "baseline"],
      figures: [figure("rules_ndjson_memory_mb", "workerd RSS growth during the stream", "MB", peak - before, null)],
      digits: 1,
    };
  } finally {
    await platform.stop();
  }
}
