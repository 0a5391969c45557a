/** The usage the gateway reports to the session after each metered model call. */
import type { ModelUsage } from "../../platform/contracts/session.ts";
import { costOf } from "./pricing.ts";
import type { MeteredCall } from "./usage-meter.ts";

/** Prices a metered call into the report the session's `recordModelUsage` takes. */
export function usageReport(call: MeteredCall): ModelUsage {
  return {
    input_tokens: call.usage.input_tokens,
    output_tokens: call.usage.output_tokens,
    cache_creation_input_tokens: call.usage.cache_creation_input_tokens,
    cache_read_input_tokens: call.usage.cache_read_input_tokens,
    cost_usd: costOf(call.model, call.usage),
    model: call.model,
  };
}
