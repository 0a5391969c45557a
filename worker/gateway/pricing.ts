/**
 * List prices of the Anthropic API, to turn one call's token usage into dollars for the
 * session's usage record and its budget.
 *
 * Source: Anthropic's pricing page, "Model pricing" (https://platform.claude.com/docs/en/about-claude/pricing),
 * in USD per million tokens. Prompt caching is priced relative to a model's base input price
 * (the same multipliers for every model on that page).
 *
 * What this does not model, so costs are list-price estimates: batch discounts (the gateway
 * serves no batch API), the long-context premium of 1M-token betas, fast mode, data-residency
 * multipliers, server-tool fees (web search), and negotiated discounts. Claude Max OAuth
 * usage is priced as if it were API usage ("API-equivalent cost").
 */

/** Token counts of one model call, as the Messages API reports them. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  /** Prompt tokens written to the cache, whatever their TTL. */
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Of `cache_creation_input_tokens`, those written with the 1-hour TTL; 0 when the API gave no breakdown. */
  cache_creation_1h_input_tokens: number;
}

/** Base prices of a model, USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** A 5-minute cache write costs 1.25× base input. */
export const CACHE_WRITE_5M_MULTIPLIER = 1.25;
/** A 1-hour cache write costs 2× base input. */
export const CACHE_WRITE_1H_MULTIPLIER = 2;
/** A cache hit (read or refresh) costs 0.1× base input. */
export const CACHE_READ_MULTIPLIER = 0.1;

/** Prices are quoted per this many tokens. */
const TOKENS_PER_PRICE_UNIT = 1_000_000;

/** One row of the table: a name for humans, the model ids it covers, its prices. */
interface PriceRow {
  family: string;
  matches: RegExp;
  price: ModelPrice;
}

/**
 * First match wins. Older generations priced differently come first; then one row per
 * family at the current generation's price (Opus 4.5 and later, Sonnet 3.7 to 4.x,
 * Haiku 4.5), so new releases of a family are priced like the latest one we know.
 */
const PRICES: readonly PriceRow[] = [
  // claude-3-opus-*, claude-opus-4-0, claude-opus-4-20250514, claude-opus-4-1(-2025…); not claude-opus-4-5+.
  { family: "opus-legacy", matches: /claude-3-opus|claude-opus-4(?:-[01])?(?:-\d{8})?\b(?!-)/, price: { input: 15, output: 75 } },
  { family: "haiku-3.5", matches: /claude-3-5-haiku/, price: { input: 0.8, output: 4 } },
  { family: "haiku-3", matches: /claude-3-haiku/, price: { input: 0.25, output: 1.25 } },
  { family: "opus", matches: /opus/, price: { input: 5, output: 25 } },
  { family: "sonnet", matches: /sonnet/, price: { input: 3, output: 15 } },
  { family: "haiku", matches: /haiku/, price: { input: 1, output: 5 } },
];

/** Models the table does not know are priced as Sonnet: the middle of the range, and Claude Code's usual default. */
const FALLBACK: PriceRow = { family: "unknown (priced as sonnet)", matches: /$^/, price: { input: 3, output: 15 } };

/** The table row that prices `model` (case-insensitive; unknown models fall back to Sonnet's price). */
export function priceOf(model: string): { family: string; price: ModelPrice } {
  const id = model.toLowerCase();
  const row = PRICES.find((candidate) => candidate.matches.test(id)) ?? FALLBACK;
  return { family: row.family, price: row.price };
}

/** The list price in USD of one call of `model` that used `usage`. */
export function costOf(model: string, usage: TokenUsage): number {
  const { price } = priceOf(model);
  const written1h = Math.min(usage.cache_creation_1h_input_tokens, usage.cache_creation_input_tokens);
  const written5m = usage.cache_creation_input_tokens - written1h;
  const inputUnits =
    usage.input_tokens +
    written5m * CACHE_WRITE_5M_MULTIPLIER +
    written1h * CACHE_WRITE_1H_MULTIPLIER +
    usage.cache_read_input_tokens * CACHE_READ_MULTIPLIER;
  return (inputUnits * price.input + usage.output_tokens * price.output) / TOKENS_PER_PRICE_UNIT;
}
