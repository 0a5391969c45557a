/** One-line descriptions of tool calls, as a person reads them: `Bash(ls -la)`, `Read(src/a.ts)`. */

const MAX_ARGUMENT_CHARS = 100;

/** Shortens `text` to one line of at most `max` characters. */
export function oneLine(text: string, max = MAX_ARGUMENT_CHARS): string {
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** The argument that says the most about a call of `name`. */
function mainArgument(name: string, input: Record<string, unknown>): string | undefined {
  switch (name) {
    case "Bash":
      return str(input.command);
    case "Read":
    case "Write":
    case "Edit":
    case "MultiEdit":
      return str(input.file_path);
    case "NotebookEdit":
      return str(input.notebook_path);
    case "Grep":
      return str(input.pattern) && `${input.pattern as string}${str(input.path) ? ` in ${input.path as string}` : ""}`;
    case "Glob":
      return str(input.pattern);
    case "WebFetch":
      return str(input.url);
    case "WebSearch":
      return str(input.query);
    case "Task":
      return str(input.description);
    case "AskUserQuestion": {
      const first = Array.isArray(input.questions) ? (input.questions[0] as { question?: unknown } | undefined) : undefined;
      return str(first?.question);
    }
    case "TodoWrite":
      return Array.isArray(input.todos) ? `${input.todos.length} items` : undefined;
    default: {
      const json = JSON.stringify(input);
      return json === "{}" ? undefined : json;
    }
  }
}

/** `Name(argument)`, or just `Name` when the input says nothing useful. */
export function describeToolCall(name: string, input: Record<string, unknown>): string {
  const argument = mainArgument(name, input);
  return argument === undefined ? name : `${name}(${oneLine(argument)})`;
}
