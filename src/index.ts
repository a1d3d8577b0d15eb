export * from "./metrics/index.js";
export type * from "./query/model.js";
export * from "./store/types.js";
export {
  metrics,
  createAppMetrics,
  type AppMetrics,
  type AppMetricsOptions,
  type ProcessedDocument,
} from "./metrics/meters.js";
