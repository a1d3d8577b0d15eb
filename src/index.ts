export * from "./metrics/index.js";
export type * from "./query/model.js";
export { QueryError } from "./query/model.js";
export { parseStatistic, statisticName } from "./query/statistic.js";
export { resolveMetric, UnknownMetricError } from "./query/resolve.js";
export * from "./manager.js";
export { EmbeddedStore } from "./store/embedded/query.js";
export {
  PrometheusStore,
  type PrometheusStoreOptions,
} from "./store/prometheus/store.js";
export {
  openStore,
  parseStoreSpec,
  StoreSpecError,
  type StoreSpec,
} from "./store/open-store.js";
export * from "./store/types.js";
export {
  metrics,
  createAppMetrics,
  type AppMetrics,
  type AppMetricsOptions,
  type ProcessedDocument,
} from "./metrics/meters.js";
