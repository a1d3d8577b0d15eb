/**
 * The name an OpenTelemetry metric gets in Prometheus after the collector's
 * translation (the `prometheusremotewrite` exporter and Prometheus' own OTLP
 * receiver with suffixes on), so that rules, dashboards and the Prometheus
 * store can name what the app emits.
 *
 * @see https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/#metric-metadata-1
 */

/** Instrument shapes that decide the suffixes a name receives. */
export type PrometheusShape = "counter" | "gauge" | "histogram";

// UCUM units as the translator spells them out.
const unitWords: Record<string, string> = {
  d: "days",
  h: "hours",
  min: "minutes",
  s: "seconds",
  ms: "milliseconds",
  us: "microseconds",
  ns: "nanoseconds",
  By: "bytes",
  KiBy: "kibibytes",
  MiBy: "mebibytes",
  GiBy: "gibibytes",
  TiBy: "tebibytes",
  KBy: "kilobytes",
  MBy: "megabytes",
  GBy: "gigabytes",
  TBy: "terabytes",
  m: "meters",
  V: "volts",
  A: "amperes",
  J: "joules",
  W: "watts",
  g: "grams",
  Cel: "celsius",
  Hz: "hertz",
  "%": "percent",
};

// The denominator of a rate unit ("By/s") reads in the singular.
const perUnitWords: Record<string, string> = {
  s: "second",
  m: "minute",
  h: "hour",
  d: "day",
  w: "week",
  mo: "month",
  y: "year",
};

/** Turns any character Prometheus does not allow in a name into `_`. */
export function sanitizePrometheusName(name: string): string {
  const replaced = name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/_+/g, "_");
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

/** The unit suffix for a UCUM unit, or "" when the unit adds none. */
export function unitSuffix(unit: string, shape: PrometheusShape): string {
  // Annotations such as `{request}` carry no unit.
  const bare = unit.replace(/\{[^}]*\}/g, "").trim();
  if (bare === "") return "";
  if (bare === "1") return shape === "gauge" ? "ratio" : "";

  const [numerator = "", denominator] = bare.split("/", 2);
  const main = unitWords[numerator] ?? numerator;
  if (denominator === undefined) return sanitizePrometheusName(main);

  const per =
    perUnitWords[denominator] ?? unitWords[denominator] ?? denominator;
  const words = main === "" ? `per_${per}` : `${main}_per_${per}`;
  return sanitizePrometheusName(words);
}

/**
 * The Prometheus name of a metric: `_` for `.`, the unit spelled out, and
 * `_total` on monotonic counters. Histograms add `_bucket`, `_sum` and
 * `_count` to this base name.
 *
 * @example prometheusName("http.server.requests", "{request}", "counter") // "http_server_requests_total"
 */
export function prometheusName(
  name: string,
  unit: string,
  shape: PrometheusShape,
): string {
  let result = sanitizePrometheusName(name);

  const suffix = unitSuffix(unit, shape);
  if (suffix !== "" && !result.split("_").includes(suffix)) {
    result = `${result}_${suffix}`;
  }

  if (shape === "counter" && !result.endsWith("_total")) {
    result = `${result}_total`;
  }
  return result;
}
