/**
 * A 100 MB upload through the signed upload URL: how much the platform's processes (wrangler
 * and the workerd it runs, every process this benchmark started) grow in resident memory while
 * the bytes stream through the Worker into local R2, measured on the second upload (the first
 * grows a fresh workerd whatever the Worker does; see below). Read from /proc/<pid>/status (VmRSS) every
 * 20 ms, so Linux only. No baseline: the goal is an absolute figure (streamed, not buffered).
 */
import http from "node:http";
import { startLocalPlatform } from "../scripts/local-platform.ts";
import { RECORDER_TOKEN, startSandboxRecorder } from "../test/fakes/sandbox-host-recorder.ts";
import { connectFakeRunner, createSession, readyUser, vars } from "./platform.ts";
import { figure } from "./results.ts";
import { descendants, rssByProcess, total } from "./rss.ts";
import type { Section } from "./sections.ts";

/** Bytes uploaded (the API's maximum). */
const SIZE = 100 * 1024 * 1024;
/** Bytes written per chunk. */
const CHUNK = 1024 * 1024;

/** PUTs `SIZE` bytes to `url`, written chunk by chunk with backpressure; resolves with the status. */
function putStreamed(url: string, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "PUT", headers: { "content-length": String(SIZE), "content-type": contentType } }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    });
    req.once("error", reject);
    const chunk = Buffer.alloc(CHUNK, 7);
    let sent = 0;
    const write = () => {
      while (sent < SIZE) {
        sent += CHUNK;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

/** RSS growth of the platform's processes during one 100 MB upload. */
export async function uploadSection(): Promise<Section> {
  const recorder = await startSandboxRecorder();
  const platform = await startLocalPlatform({ vars, sandboxHost: { url: recorder.url, token: RECORDER_TOKEN } });
  try {
    const token = await readyUser(platform.baseUrl);
    const sessionId = await createSession(platform.baseUrl, token);
    const runner = await connectFakeRunner(platform.baseUrl, recorder.url, sessionId);
    const reserve = async (filename: string) => {
      const ticket = await fetch(`${platform.baseUrl}/v1/io/sessions/${sessionId}/upload`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ filename, content_type: "application/octet-stream", size: SIZE }),
      });
      if (!ticket.ok) throw new Error(`upload request answered ${ticket.status}: ${await ticket.text()}`);
      return ((await ticket.json()) as { upload_url: string }).upload_url;
    };

    const pids = descendants(process.pid);
    // A first upload into a fresh workerd grows it by about as much whatever the Worker does with
    // the body (one that only drained it grew workerd by 90 MB): the allocator and V8's heap
    // expand once and keep the pages. The figure is the next upload, where a buffered body
    // would still show as its full size.
    const cold = total(rssByProcess(pids));
    const warmStatus = await putStreamed(await reserve("warm-up.bin"), "application/octet-stream");
    if (warmStatus < 200 || warmStatus >= 300) throw new Error(`warm-up upload PUT answered ${warmStatus}`);
    const firstGrowth = total(rssByProcess(pids)) - cold;
    const upload_url = await reserve("bench.bin");
    const initial = rssByProcess(pids);
    const before = total(initial);
    let peak = before;
    // Each process's own peak too, to say which one grew.
    const peaks = new Map(initial);
    const sample = () => {
      const now = rssByProcess(pids);
      peak = Math.max(peak, total(now));
      for (const [name, mb] of now) peaks.set(name, Math.max(peaks.get(name) ?? 0, mb));
    };
    const sampler = setInterval(sample, 20);
    const startedAt = performance.now();
    const status = await putStreamed(upload_url, "application/octet-stream");
    const seconds = (performance.now() - startedAt) / 1000;
    clearInterval(sampler);
    sample();
    await runner.close();
    if (status < 200 || status >= 300) throw new Error(`upload PUT answered ${status}`);
    const growth = [...peaks]
      .map(([name, mb]) => [name, mb - (initial.get(name) ?? 0)] as const)
      .filter(([, mb]) => mb >= 1)
      .map(([name, mb]) => `${name.split(" ")[0]} +${mb.toFixed(0)} MB`);
    return {
      title: `100 MB upload through the signed URL after a first one (which grew them ${firstGrowth.toFixed(0)} MB) (${seconds.toFixed(1)} s; summed RSS of ${pids.length} platform processes, ${before.toFixed(0)} MB before; peaks: ${growth.join(", ") || "none grew"})`,
      columns: ["platform", "baseline"],
      figures: [figure("upload_memory_mb", "RSS growth during the upload", "MB", peak - before, null)],
      digits: 1,
    };
  } finally {
    await platform.stop();
    await recorder.close();
  }
}
