/**
 * The SDK views built from the catalog: each catalog metric keeps only its
 * allowed attributes, gets its bucket boundaries and its cardinality limit.
 * Views change only instruments of td-monitoring's own meter, so an app's
 * instruments of the same name are left as the app made them.
 */
import { createRequire } from "node:module";
import {
  AggregationType,
  createAllowListAttributesProcessor,
  type ViewOptions,
} from "@opentelemetry/sdk-metrics";
import { catalog, type CatalogMetric } from "./catalog.js";

/** The instrumentation scope of every instrument td-monitoring creates. */
export const METER_NAME = "td-monitoring";

// Both src/metrics and dist/metrics sit two levels below package.json.
const packageJson = createRequire(import.meta.url)("../../package.json") as {
  version: string;
};

/** The scope version: td-monitoring's own version. */
export const METER_VERSION = packageJson.version;

/** One view per catalog metric, for `new MeterProvider({ views })`. */
export function buildViews(
  metrics: readonly CatalogMetric[] = catalog,
): ViewOptions[] {
  return metrics.map(viewFor);
}

function viewFor(metric: CatalogMetric): ViewOptions {
  const view: ViewOptions = {
    instrumentName: metric.name,
    meterName: METER_NAME,
    attributesProcessors: [
      createAllowListAttributesProcessor([...metric.attributes]),
    ],
  };
  if (metric.buckets !== undefined) {
    view.aggregation = {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...metric.buckets], recordMinMax: true },
    };
  }
  if (metric.cardinalityLimit !== undefined) {
    view.aggregationCardinalityLimit = metric.cardinalityLimit;
  }
  return view;
}
