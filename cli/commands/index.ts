/** Every command the CLI knows. */
import type { Command } from "../command.ts";
import { authCommands } from "./auth.ts";
import { chatCommands } from "./chat.ts";
import { fileCommands } from "./files.ts";
import { forkCommands } from "./fork.ts";
import { ruleCommands } from "./rules.ts";
import { sessionCommands } from "./sessions.ts";

/** All commands, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  ...chatCommands,
  ...authCommands,
  ...sessionCommands,
  ...forkCommands,
  ...fileCommands,
  ...ruleCommands,
];
