/**
 * Metric names as people type them (catalog name, Prometheus name or alias)
 * resolved to catalog entries, with the closest known names when one is not
 * known. The only part of `query/` that reads the catalog: the maths itself
 * takes the shape as an argument.
 */
import {
  findMetric,
  knownMetricNames,
  type CatalogMetric,
} from "../metrics/catalog.js";
import { QueryError } from "./model.js";

/** A metric name the catalog does not hold; `suggestions` are the closest known names. */
export class UnknownMetricError extends QueryError {
  constructor(
    readonly metricName: string,
    readonly suggestions: readonly string[],
  ) {
    const hint =
      suggestions.length > 0
        ? `did you mean ${suggestions.join(", ")}?`
        : "`td-monitor metrics` lists the metric names";
    super(`unknown metric "${metricName}"; ${hint}`);
    this.name = "UnknownMetricError";
  }
}

/**
 * The catalog metric a name stands for; throws an UnknownMetricError naming
 * the closest known names otherwise.
 *
 * @example resolveMetric("api_latency").name // "http.server.request.duration"
 */
export function resolveMetric(name: string): CatalogMetric {
  const metric = findMetric(name);
  if (metric !== undefined) return metric;
  throw new UnknownMetricError(name, closestNames(name, knownMetricNames()));
}

/**
 * Up to `limit` names nearest to `name` by edit distance, nearest first,
 * dropping any too far to be a typo; a name containing the input (or the
 * input containing it) counts as near.
 */
export function closestNames(
  name: string,
  candidates: readonly string[],
  limit = 3,
): string[] {
  const wanted = name.toLowerCase();
  const scored = candidates.map((candidate) => {
    const lower = candidate.toLowerCase();
    const contains = lower.includes(wanted) || wanted.includes(lower);
    return {
      candidate,
      // Containment ranks after a one-letter typo but before anything else.
      distance: Math.min(
        editDistance(wanted, lower),
        contains ? 1.5 : Infinity,
      ),
    };
  });
  const tolerance = Math.max(2, Math.floor(wanted.length / 3));
  return scored
    .filter(({ distance }) => distance <= tolerance)
    .sort(
      (a, b) =>
        a.distance - b.distance || a.candidate.length - b.candidate.length,
    )
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution =
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
