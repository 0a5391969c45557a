import { describe, expect, it } from "vitest";
import {
  CACHE_READ_MULTIPLIER,
  CACHE_WRITE_1H_MULTIPLIER,
  CACHE_WRITE_5M_MULTIPLIER,
  costOf,
  priceOf,
  type TokenUsage,
} from "../../worker/gateway/pricing.ts";

const MILLION = 1_000_000;

function usage(fields: Partial<TokenUsage>): TokenUsage {
  return {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_1h_input_tokens: 0,
    ...fields,
  };
}

describe("model pricing", () => {
  it.each([
    ["claude-opus-4-5-20251101", "opus", 5, 25],
    ["claude-opus-4-6", "opus", 5, 25],
    ["claude-opus-4-1-20250805", "opus-legacy", 15, 75],
    ["claude-opus-4-1", "opus-legacy", 15, 75],
    ["claude-opus-4-20250514", "opus-legacy", 15, 75],
    ["claude-opus-4-0", "opus-legacy", 15, 75],
    ["claude-3-opus-20240229", "opus-legacy", 15, 75],
    ["claude-sonnet-4-5-20250929", "sonnet", 3, 15],
    ["claude-3-7-sonnet-latest", "sonnet", 3, 15],
    ["claude-haiku-4-5-20251001", "haiku", 1, 5],
    ["claude-3-5-haiku-20241022", "haiku-3.5", 0.8, 4],
    ["claude-3-haiku-20240307", "haiku-3", 0.25, 1.25],
    ["Claude-Sonnet-4-5", "sonnet", 3, 15],
  ])("prices %s as %s", (model, family, input, output) => {
    expect(priceOf(model)).toEqual({ family, price: { input, output } });
  });

  it("prices unknown models as Sonnet, and says so", () => {
    expect(priceOf("some-future-model")).toEqual({ family: "unknown (priced as sonnet)", price: { input: 3, output: 15 } });
    expect(costOf("some-future-model", usage({ input_tokens: MILLION }))).toBeCloseTo(3, 10);
  });

  it("adds input and output at their own prices", () => {
    expect(costOf("claude-sonnet-4-5", usage({ input_tokens: MILLION, output_tokens: MILLION }))).toBeCloseTo(18, 10);
    expect(costOf("claude-opus-4-6", usage({ input_tokens: 2000, output_tokens: 500 }))).toBeCloseTo((2000 * 5 + 500 * 25) / MILLION, 12);
    expect(costOf("claude-haiku-4-5", usage({}))).toBe(0);
  });

  it("prices cache writes (5 minutes and 1 hour) and reads relative to base input", () => {
    expect(CACHE_WRITE_5M_MULTIPLIER).toBe(1.25);
    expect(CACHE_WRITE_1H_MULTIPLIER).toBe(2);
    expect(CACHE_READ_MULTIPLIER).toBe(0.1);
    // Sonnet: $3.75 per million 5-minute writes, $6 per million 1-hour writes, $0.30 per million reads.
    expect(costOf("claude-sonnet-4-5", usage({ cache_creation_input_tokens: MILLION }))).toBeCloseTo(3.75, 10);
    expect(
      costOf("claude-sonnet-4-5", usage({ cache_creation_input_tokens: MILLION, cache_creation_1h_input_tokens: MILLION })),
    ).toBeCloseTo(6, 10);
    expect(costOf("claude-sonnet-4-5", usage({ cache_read_input_tokens: MILLION }))).toBeCloseTo(0.3, 10);
    // Mixed writes: half each way.
    expect(
      costOf("claude-opus-4-6", usage({ cache_creation_input_tokens: 2 * MILLION, cache_creation_1h_input_tokens: MILLION })),
    ).toBeCloseTo(6.25 + 10, 10);
  });

  it("never prices more 1-hour writes than writes", () => {
    expect(costOf("claude-sonnet-4-5", usage({ cache_creation_input_tokens: 10, cache_creation_1h_input_tokens: 1000 }))).toBeCloseTo(
      (10 * 6) / MILLION,
      14,
    );
  });
});
