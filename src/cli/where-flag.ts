/**
 * `--where` filters as reading commands take them: `key=value`,
 * `key!=value`, `key=~regex` and `key!~regex` (regexes match the whole
 * value, as in PromQL).
 */
import type { AttributeFilter, FilterOperator } from "../query/model.js";
import { UsageError } from "./errors.js";

const FILTER = /^([^=!~\s]+)\s*(=~|!~|!=|=)(.*)$/s;

/** One `--where` value as a filter; throws a UsageError naming the forms. */
export function parseWhere(text: string): AttributeFilter {
  const match = FILTER.exec(text.trim());
  if (match === null) {
    throw new UsageError(
      `--where "${text}" is not a filter; expected key=value, key!=value, key=~regex or key!~regex (e.g. --where http.route=/api/docs)`,
    );
  }
  const [, key = "", op = "=", value = ""] = match;
  return { key, op: op as FilterOperator, value };
}

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
