/**
 * The org rule state Durable Object as wrangler binds it (`OrgRuleState`): the state and its
 * atomic claims live in durable-objects/org-rule-state.ts; this adds the one thing that needs
 * the Worker's code, starting a debounced rule session once its key is free.
 */
import { OrgRuleStateBase } from "../../durable-objects/org-rule-state.ts";
import type { RuleSessionStart } from "../../platform/contracts/org-rule-state.ts";
import { launchRuleSession } from "./rule-session.ts";

export class OrgRuleState extends OrgRuleStateBase {
  protected startRuleSession(start: RuleSessionStart): Promise<string> {
    return launchRuleSession(this.env, start);
  }
}
