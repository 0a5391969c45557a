/** The Worker's entry point: the API app, plus the Durable Object classes wrangler binds. */
import { createApp } from "./app.ts";
import type { Env } from "../platform/env.ts";

export { SessionDO } from "../durable-objects/session/session-do.ts";
export { SandboxContainer } from "../durable-objects/sandbox-container.ts";
export { UserQuota } from "../durable-objects/user-quota.ts";
export { OrgRuleState } from "./rules/org-rule-state.ts";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
