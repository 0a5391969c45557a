// Logging for the runner: one line per record on stderr (stdout is free for nothing else, but
// stderr is what the sandbox host and container logs collect). Never pass tokens or env here.

/** Severity of a log record. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A scoped logger. */
export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
};

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// When the reader of stderr goes away (the sandbox host died, a `| head`), every write fails
// with EPIPE; without this the error would surface as an uncaught exception, which logs, which fails...
let stderrBroken = false;
process.stderr.on("error", () => {
  stderrBroken = true;
});

/** A logger writing `time level [scope] message {fields}` lines; `RUNNER_LOG_LEVEL` sets the threshold. */
export function createLogger(scope: string, level: LogLevel = envLevel()): Logger {
  const write = (at: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (stderrBroken || ORDER[at] < ORDER[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : "";
    process.stderr.write(`${new Date().toISOString()} ${at} [${scope}] ${msg}${extra}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

function envLevel(): LogLevel {
  const value = process.env["RUNNER_LOG_LEVEL"];
  return value === "debug" || value === "info" || value === "warn" || value === "error" ? value : "info";
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return "[unserialisable]";
  }
}
