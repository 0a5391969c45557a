#!/usr/bin/env node
/** The `ai-sessions` command line: `node cli/main.ts <command> [options]`. */
import { processIo } from "./io.ts";
import { run } from "./run.ts";

const code = await run(process.argv.slice(2), processIo());
// Open handles (a socket closing, stdin) must not keep a finished command alive, but piped
// stdout has to be flushed first, or the tail of the output would be lost.
process.stdout.write("", () => process.exit(code));
