/**
 * The benchmark's figures as data: each section adds its figures here, the run prints them as
 * tables and writes them all to bench/results.json (git-ignored) so runs can be compared.
 * A figure that was not measured is left out, with a line saying why — never invented.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";

/** One figure of `bench/results.json`. `ratio` is platform / baseline (null without a baseline). */
export interface Figure {
  id: string;
  figure: string;
  unit: string;
  platform: number;
  baseline: number | null;
  ratio: number | null;
  /** For the `*_added_ms` ids: platform − baseline, the time the platform adds. */
  added?: number;
}

/** Where the figures are written. */
export const RESULTS_PATH = path.resolve(import.meta.dirname, "results.json");

const round = (value: number) => Math.round(value * 1000) / 1000;

/** A figure with its ratio worked out (platform / baseline). */
export function figure(id: string, label: string, unit: string, platform: number, baseline: number | null): Figure {
  const ratio = baseline === null || baseline === 0 || !Number.isFinite(baseline) ? null : round(platform / baseline);
  const result: Figure = {
    id,
    figure: label,
    unit,
    platform: round(platform),
    baseline: baseline === null ? null : round(baseline),
    ratio,
  };
  if (id.endsWith("_added_ms") && baseline !== null) result.added = round(platform - baseline);
  return result;
}

/** One figure as a markdown table row. */
export function figureRow(f: Figure, digits = 2): string {
  const baseline = f.baseline === null ? "—" : `${f.baseline.toFixed(digits)} ${f.unit}`;
  const ratio = f.ratio === null ? "—" : `${f.ratio.toFixed(2)}×`;
  const added = f.added === undefined ? "" : ` (${f.added < 0 ? "" : "+"}${f.added.toFixed(digits)} ${f.unit})`;
  return `| ${f.figure} | ${f.platform.toFixed(digits)} ${f.unit}${added} | ${baseline} | ${ratio} |`;
}

/** Writes the figures measured in this run (an array, in the order measured). */
export function writeResults(figures: Figure[]): void {
  writeFileSync(RESULTS_PATH, JSON.stringify(figures, null, 2) + "\n");
}
