/**
 * Alert message templates: `{{ value }}`, `{{ threshold }}`, `{{ severity }}`,
 * `{{ rule }}` and `{{ labels.<key> }}` (keys keep their dots, e.g.
 * `{{ labels.host.name }}`), each optionally piped through `percent`,
 * `seconds` or `bytes`.
 *
 * @example renderMessage("{{ value | percent }} used", { value: 0.912, ... }) // "91.2% used"
 */

/** What a template may refer to. */
export interface TemplateData {
  readonly rule: string;
  readonly value: number;
  readonly threshold: number;
  readonly severity: string;
  readonly labels: Readonly<Record<string, string>>;
}

const PLACEHOLDER = /\{\{\s*([\w.]+)\s*(?:\|\s*(\w+)\s*)?\}\}/g;

/** A number at four significant digits without trailing zeros. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

/**
 * One context entry as a person reads it: `metric before → after`, with
 * "no data" where a window held none (NaN, or null after a JSON round trip).
 */
export function formatChange(change: {
  readonly metric: string;
  readonly before: number | null;
  readonly after: number | null;
}): string {
  const value = (v: number | null) =>
    v === null || Number.isNaN(v) ? "no data" : formatNumber(v);
  return `${change.metric} ${value(change.before)} → ${value(change.after)}`;
}

const FORMATS: Record<string, (value: number) => string> = {
  percent: (v) => `${formatNumber(v * 100)}%`,
  seconds: (v) =>
    Math.abs(v) < 1 ? `${formatNumber(v * 1000)}ms` : `${formatNumber(v)}s`,
  bytes: (v) => {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i += 1;
    }
    return `${formatNumber(v)}${units[i]}`;
  },
};

/** The names a template may pipe a number through. */
export const TEMPLATE_FORMATS = Object.keys(FORMATS);

const NAMES = ["value", "threshold", "severity", "rule"];
const INSIDE = /^\s*([\w.]+)\s*(?:\|\s*(\w+)\s*)?$/;

/** What is wrong at a character of a template. */
export interface TemplateProblem {
  /** The index in the template where the problem starts. */
  readonly index: number;
  readonly message: string;
}

/**
 * Every placeholder of a template that {@link renderMessage} would not fill
 * as meant: an unclosed `{{`, an unknown name, an unknown format. Rule files
 * are checked with it on load, since a bad template is otherwise seen only
 * in a notification.
 *
 * @example templateProblems("{{ value | nosuch }}") // [{ index: 0, message: 'unknown format "nosuch" …' }]
 */
export function templateProblems(template: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  let from = 0;
  for (;;) {
    const open = template.indexOf("{{", from);
    if (open < 0) return problems;
    const close = template.indexOf("}}", open + 2);
    const next = template.indexOf("{{", open + 2);
    if (close < 0 || (next >= 0 && next < close)) {
      problems.push({
        index: open,
        message: 'unclosed "{{": expected "}}" after the name',
      });
      if (next < 0) return problems;
      from = next;
      continue;
    }
    const inside = template.slice(open + 2, close);
    const match = INSIDE.exec(inside);
    const [, name = "", format] = match ?? [];
    if (match === null) {
      problems.push({
        index: open,
        message: `"{{${inside}}}" is not a placeholder: expected {{ name }} or {{ name | format }}`,
      });
    } else if (!NAMES.includes(name) && !/^labels\../.test(name)) {
      problems.push({
        index: open,
        message: `unknown name "${name}": expected ${NAMES.join(", ")} or labels.<key>`,
      });
    } else if (format !== undefined && FORMATS[format] === undefined) {
      problems.push({
        index: open,
        message: `unknown format "${format}": expected ${TEMPLATE_FORMATS.join(", ")}`,
      });
    }
    from = close + 2;
  }
}

/** Fills a message template; unknown placeholders are left as written. */
export function renderMessage(template: string, data: TemplateData): string {
  return template.replace(
    PLACEHOLDER,
    (whole, name: string, format?: string) => {
      let value: string | number | undefined;
      if (name === "value") value = data.value;
      else if (name === "threshold") value = data.threshold;
      else if (name === "severity") value = data.severity;
      else if (name === "rule") value = data.rule;
      else if (name.startsWith("labels."))
        value = data.labels[name.slice(7)] ?? "";
      if (value === undefined) return whole;
      if (typeof value === "string") return value;
      const formatter = format === undefined ? undefined : FORMATS[format];
      return formatter === undefined ? formatNumber(value) : formatter(value);
    },
  );
}
