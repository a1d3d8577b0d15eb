/**
 * Attribute filters applied to a series' labels, with PromQL's semantics: a
 * missing label reads as the empty string, and regexes match the whole value.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/basics/#time-series-selectors
 */
import type { AttributeFilter } from "../../query/model.js";

/** A compiled filter: a predicate over one series' labels. */
export type LabelMatcher = (
  labels: Readonly<Record<string, string>>,
) => boolean;

/**
 * Compiles filters into one matcher; throws a RangeError naming the filter
 * when a regex does not compile.
 */
export function compileFilters(
  filters: readonly AttributeFilter[],
): LabelMatcher {
  const matchers = filters.map(compileFilter);
  return (labels) => matchers.every((matches) => matches(labels));
}

function compileFilter(filter: AttributeFilter): LabelMatcher {
  const { key, op, value } = filter;
  if (op === "=") return (labels) => (labels[key] ?? "") === value;
  if (op === "!=") return (labels) => (labels[key] ?? "") !== value;

  const regex = anchoredRegex(filter);
  if (op === "=~") return (labels) => regex.test(labels[key] ?? "");
  return (labels) => !regex.test(labels[key] ?? "");
}

function anchoredRegex(filter: AttributeFilter): RegExp {
  try {
    return new RegExp(`^(?:${filter.value})$`, "u");
  } catch (error) {
    throw new RangeError(
      `filter ${filter.key}${filter.op}"${filter.value}": not a valid regular expression`,
      { cause: error },
    );
  }
}
