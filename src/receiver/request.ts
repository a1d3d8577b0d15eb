/**
 * An OTLP ExportMetricsServiceRequest read from a plain object tree, the one
 * both wire formats decode to: OTLP/JSON as parsed, or protobuf through
 * protobufjs' `toObject`. Reading validates every field it uses and names the
 * offending one in its error, so a bad body gets a 400 that says where.
 *
 * The rules are the OTLP/JSON ones: lowerCamelCase keys (snake_case also
 * accepted, as the protobuf JSON mapping allows), int64 as a string or a
 * number, enums as integers (or their names), and doubles as numbers or the
 * strings "NaN", "Infinity" and "-Infinity". Unknown keys are ignored.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */

/** A request body that is not a valid OTLP metrics request; answered with 400. */
export class OtlpDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OtlpDecodeError";
  }
}

/** Attributes flattened to strings, the form series labels take. */
export type Attributes = Record<string, string>;

/** OTLP AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
export type TemporalityCode = 0 | 1 | 2;

interface PointBase {
  readonly path: string;
  readonly attributes: Attributes;
  readonly startTimeUnixNano: bigint;
  readonly timeUnixNano: bigint;
  readonly flags: number;
}

/** A gauge or sum point; `value` is absent when the sender set neither field. */
export interface NumberDataPoint extends PointBase {
  readonly value?: number | bigint;
}

/** An explicit-bucket histogram point. */
export interface HistogramDataPoint extends PointBase {
  readonly count: bigint;
  readonly sum?: number;
  readonly bucketCounts: readonly bigint[];
  readonly explicitBounds: readonly number[];
  readonly min?: number;
  readonly max?: number;
}

/** One side (positive or negative) of an exponential histogram. */
export interface ExponentialBuckets {
  readonly offset: number;
  readonly bucketCounts: readonly bigint[];
}

/** An exponential histogram point. */
export interface ExponentialHistogramDataPoint extends PointBase {
  readonly count: bigint;
  readonly sum?: number;
  readonly scale: number;
  readonly zeroCount: bigint;
  readonly zeroThreshold: number;
  readonly positive: ExponentialBuckets;
  readonly negative: ExponentialBuckets;
  readonly min?: number;
  readonly max?: number;
}

/** The data of one metric, by kind. */
export type MetricData =
  | { readonly kind: "gauge"; readonly points: readonly NumberDataPoint[] }
  | {
      readonly kind: "sum";
      readonly temporality: TemporalityCode;
      readonly monotonic: boolean;
      readonly points: readonly NumberDataPoint[];
    }
  | {
      readonly kind: "histogram";
      readonly temporality: TemporalityCode;
      readonly points: readonly HistogramDataPoint[];
    }
  | {
      readonly kind: "exponential_histogram";
      readonly temporality: TemporalityCode;
      readonly points: readonly ExponentialHistogramDataPoint[];
    }
  | { readonly kind: "summary"; readonly points: readonly PointBase[] };

/** One metric as sent; `data` is absent for a metric with no data field. */
export interface Metric {
  readonly path: string;
  readonly name: string;
  readonly unit: string;
  readonly data?: MetricData;
}

/** The metrics of one resource, across its scopes. */
export interface ResourceMetrics {
  readonly resource: Attributes;
  readonly metrics: readonly Metric[];
}

type Plain = Record<string, unknown>;

const UINT64_LIMIT = 2n ** 64n;
const INT64_MIN = -(2n ** 63n);
const INT64_LIMIT = 2n ** 63n;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const TEMPORALITY_NAMES: Record<string, TemporalityCode> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

const DATA_FIELDS = [
  ["gauge", "gauge"],
  ["sum", "sum"],
  ["histogram", "histogram"],
  ["exponentialHistogram", "exponential_histogram"],
  ["summary", "summary"],
] as const;

/** Reads a request; throws OtlpDecodeError naming the first bad field. */
export function readExportRequest(body: unknown): ResourceMetrics[] {
  const root = asObject(body, "request body");
  return list(root, "resourceMetrics", "").map((item, index) =>
    readResourceMetrics(item, `resourceMetrics[${index}]`),
  );
}

function readResourceMetrics(value: unknown, path: string): ResourceMetrics {
  const object = asObject(value, path);
  const resource = optionalObject(object, "resource", path);
  const attributes = resource
    ? readAttributes(resource, `${path}.resource`)
    : {};

  // Senders moving off the deprecated field fill both; the new one wins.
  let scopesKey = "scopeMetrics";
  let scopes = list(object, scopesKey, path);
  if (scopes.length === 0) {
    scopesKey = "instrumentationLibraryMetrics";
    scopes = list(object, scopesKey, path);
  }

  const metrics = scopes.flatMap((scope, index) => {
    const scopePath = `${path}.${scopesKey}[${index}]`;
    const scopeObject = asObject(scope, scopePath);
    return list(scopeObject, "metrics", scopePath).map((metric, i) =>
      readMetric(metric, `${scopePath}.metrics[${i}]`),
    );
  });
  return { resource: attributes, metrics };
}

function readMetric(value: unknown, path: string): Metric {
  const object = asObject(value, path);
  const name = optionalString(object, "name", path) ?? "";
  const unit = optionalString(object, "unit", path) ?? "";
  const present = DATA_FIELDS.filter(([key]) => field(object, key) != null);
  if (present.length > 1) {
    const keys = present.map(([key]) => key).join(" and ");
    throw new OtlpDecodeError(`${path}: has both ${keys}; expected one`);
  }
  if (present.length === 0) return { path, name, unit };

  const [key, kind] = present[0]!;
  const dataPath = `${path}.${key}`;
  const data = readData(kind, asObject(field(object, key), dataPath), dataPath);
  return { path, name, unit, data };
}

function readData(
  kind: MetricData["kind"],
  object: Plain,
  path: string,
): MetricData {
  const points = list(object, "dataPoints", path);
  const at = (index: number) => `${path}.dataPoints[${index}]`;
  const temporality = () => readTemporality(object, path);

  switch (kind) {
    case "gauge":
      return { kind, points: points.map((p, i) => readNumber(p, at(i))) };
    case "sum":
      return {
        kind,
        temporality: temporality(),
        monotonic: optionalBoolean(object, "isMonotonic", path) ?? false,
        points: points.map((p, i) => readNumber(p, at(i))),
      };
    case "histogram":
      return {
        kind,
        temporality: temporality(),
        points: points.map((p, i) => readHistogram(p, at(i))),
      };
    case "exponential_histogram":
      return {
        kind,
        temporality: temporality(),
        points: points.map((p, i) => readExponential(p, at(i))),
      };
    case "summary":
      return { kind, points: points.map((p, i) => readBase(p, at(i)).base) };
  }
}

function readBase(
  value: unknown,
  path: string,
): { base: PointBase; object: Plain } {
  const object = asObject(value, path);
  const base = {
    path,
    attributes: readAttributes(object, path),
    startTimeUnixNano: uint64(object, "startTimeUnixNano", path) ?? 0n,
    timeUnixNano: uint64(object, "timeUnixNano", path) ?? 0n,
    flags: uint32(object, "flags", path) ?? 0,
  };
  return { base, object };
}

function readNumber(value: unknown, path: string): NumberDataPoint {
  const { object, base } = readBase(value, path);
  const asDouble = double(object, "asDouble", path);
  const asInt = int64(object, "asInt", path);
  if (asDouble !== undefined && asInt !== undefined) {
    throw new OtlpDecodeError(`${path}: has both asDouble and asInt`);
  }
  const number = asInt ?? asDouble;
  return number === undefined ? base : { ...base, value: number };
}

function readHistogram(value: unknown, path: string): HistogramDataPoint {
  const { object, base } = readBase(value, path);
  return {
    ...base,
    ...readSumMinMax(object, path),
    count: uint64(object, "count", path) ?? 0n,
    bucketCounts: list(object, "bucketCounts", path).map((item, i) =>
      toUint64(item, `${path}.bucketCounts[${i}]`),
    ),
    explicitBounds: list(object, "explicitBounds", path).map((item, i) =>
      toDouble(item, `${path}.explicitBounds[${i}]`),
    ),
  };
}

function readExponential(
  value: unknown,
  path: string,
): ExponentialHistogramDataPoint {
  const { object, base } = readBase(value, path);
  return {
    ...base,
    ...readSumMinMax(object, path),
    count: uint64(object, "count", path) ?? 0n,
    scale: int32(object, "scale", path) ?? 0,
    zeroCount: uint64(object, "zeroCount", path) ?? 0n,
    zeroThreshold: double(object, "zeroThreshold", path) ?? 0,
    positive: readBuckets(object, "positive", path),
    negative: readBuckets(object, "negative", path),
  };
}

function readBuckets(
  object: Plain,
  key: string,
  path: string,
): ExponentialBuckets {
  const buckets = optionalObject(object, key, path);
  if (!buckets) return { offset: 0, bucketCounts: [] };
  const where = `${path}.${key}`;
  return {
    offset: int32(buckets, "offset", where) ?? 0,
    bucketCounts: list(buckets, "bucketCounts", where).map((item, i) =>
      toUint64(item, `${where}.bucketCounts[${i}]`),
    ),
  };
}

function readSumMinMax(
  object: Plain,
  path: string,
): { sum?: number; min?: number; max?: number } {
  const result: { sum?: number; min?: number; max?: number } = {};
  for (const key of ["sum", "min", "max"] as const) {
    const value = double(object, key, path);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function readTemporality(object: Plain, path: string): TemporalityCode {
  const where = `${path}.aggregationTemporality`;
  const value = field(object, "aggregationTemporality");
  if (value == null) return 0;
  if (value === 0 || value === 1 || value === 2) return value;
  if (typeof value === "string" && value in TEMPORALITY_NAMES) {
    return TEMPORALITY_NAMES[value]!;
  }
  throw new OtlpDecodeError(
    `${where}: ${quote(value)} is not an aggregation temporality; expected 0, 1 (delta) or 2 (cumulative)`,
  );
}

function readAttributes(object: Plain, path: string): Attributes {
  const attributes: Attributes = {};
  list(object, "attributes", path).forEach((item, index) => {
    const where = `${path}.attributes[${index}]`;
    const pair = asObject(item, where);
    const key = optionalString(pair, "key", where);
    if (key === undefined || key === "") {
      throw new OtlpDecodeError(
        `${where}.key: missing; an attribute needs a key`,
      );
    }
    attributes[key] = anyValueText(field(pair, "value"), `${where}.value`);
  });
  return attributes;
}

/** An AnyValue as label text: scalars as written, arrays and maps as JSON. */
function anyValueText(value: unknown, path: string): string {
  if (value == null) return "";
  const object = asObject(value, path);
  const text = field(object, "stringValue");
  if (typeof text === "string") return text;
  if (field(object, "boolValue") != null) {
    return String(toBoolean(field(object, "boolValue"), `${path}.boolValue`));
  }
  if (field(object, "intValue") != null) {
    return String(toInt64(field(object, "intValue"), `${path}.intValue`));
  }
  if (field(object, "doubleValue") != null) {
    return String(
      toDouble(field(object, "doubleValue"), `${path}.doubleValue`),
    );
  }
  if (field(object, "bytesValue") != null) {
    return String(field(object, "bytesValue"));
  }
  return nestedValueText(object, path);
}

function nestedValueText(object: Plain, path: string): string {
  const array = field(object, "arrayValue");
  if (array != null) {
    const where = `${path}.arrayValue`;
    const values = list(asObject(array, where), "values", where);
    return JSON.stringify(
      values.map((item, i) => anyValueText(item, `${where}.values[${i}]`)),
    );
  }
  const map = field(object, "kvlistValue");
  if (map != null) {
    const where = `${path}.kvlistValue`;
    return JSON.stringify(readAttributes(renameValues(map, where), where));
  }
  return "";
}

function renameValues(map: unknown, path: string): Plain {
  return { attributes: field(asObject(map, path), "values") };
}

/** A key in its lowerCamelCase form, or else its snake_case one. */
function field(object: Plain, camel: string): unknown {
  if (object[camel] !== undefined) return object[camel];
  return object[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function list(object: Plain, key: string, path: string): unknown[] {
  const value = field(object, key);
  if (value == null) return [];
  if (Array.isArray(value)) return value;
  throw new OtlpDecodeError(
    `${join(path, key)}: expected an array, got ${quote(value)}`,
  );
}

function asObject(value: unknown, path: string): Plain {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as Plain;
  }
  throw new OtlpDecodeError(`${path}: expected an object, got ${quote(value)}`);
}

function optionalObject(
  object: Plain,
  key: string,
  path: string,
): Plain | undefined {
  const value = field(object, key);
  return value == null ? undefined : asObject(value, join(path, key));
}

function optionalString(
  object: Plain,
  key: string,
  path: string,
): string | undefined {
  const value = field(object, key);
  if (value == null || typeof value === "string") return value ?? undefined;
  throw new OtlpDecodeError(
    `${join(path, key)}: expected a string, got ${quote(value)}`,
  );
}

function optionalBoolean(
  object: Plain,
  key: string,
  path: string,
): boolean | undefined {
  const value = field(object, key);
  return value == null ? undefined : toBoolean(value, join(path, key));
}

function toBoolean(value: unknown, path: string): boolean {
  if (typeof value === "boolean") return value;
  throw new OtlpDecodeError(
    `${path}: expected true or false, got ${quote(value)}`,
  );
}

function double(object: Plain, key: string, path: string): number | undefined {
  const value = field(object, key);
  return value == null ? undefined : toDouble(value, join(path, key));
}

function toDouble(value: unknown, path: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  if (typeof value === "string" && JSON_NUMBER.test(value))
    return Number(value);
  throw new OtlpDecodeError(
    `${path}: ${quote(value)} is not a number; expected a JSON number or "NaN", "Infinity", "-Infinity"`,
  );
}

function uint64(object: Plain, key: string, path: string): bigint | undefined {
  const value = field(object, key);
  return value == null ? undefined : toUint64(value, join(path, key));
}

function int64(object: Plain, key: string, path: string): bigint | undefined {
  const value = field(object, key);
  return value == null ? undefined : toInt64(value, join(path, key));
}

function toUint64(value: unknown, path: string): bigint {
  return toInteger(value, path, 0n, UINT64_LIMIT, "an unsigned 64-bit integer");
}

function toInt64(value: unknown, path: string): bigint {
  return toInteger(value, path, INT64_MIN, INT64_LIMIT, "a 64-bit integer");
}

function uint32(object: Plain, key: string, path: string): number | undefined {
  const value = field(object, key);
  if (value == null) return undefined;
  const where = join(path, key);
  return Number(
    toInteger(value, where, 0n, 2n ** 32n, "a 32-bit unsigned integer"),
  );
}

function int32(object: Plain, key: string, path: string): number | undefined {
  const value = field(object, key);
  if (value == null) return undefined;
  const where = join(path, key);
  return Number(
    toInteger(value, where, -(2n ** 31n), 2n ** 31n, "a 32-bit integer"),
  );
}

/** An integer in [min, limit), from a bigint, a safe JSON number or a decimal string. */
function toInteger(
  value: unknown,
  path: string,
  min: bigint,
  limit: bigint,
  expected: string,
): bigint {
  let integer: bigint | undefined;
  if (typeof value === "bigint") integer = value;
  else if (typeof value === "number" && Number.isInteger(value)) {
    integer = BigInt(value);
  } else if (typeof value === "string" && /^-?\d+$/.test(value)) {
    integer = BigInt(value);
  }
  if (integer !== undefined && integer >= min && integer < limit)
    return integer;
  throw new OtlpDecodeError(`${path}: ${quote(value)} is not ${expected}`);
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function quote(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
