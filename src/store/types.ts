/**
 * What every store offers to the readers (CLI, alerts, report, manager).
 */
import type { Query, QueryResult } from "../query/model.js";

/** A series as a store lists it. */
export interface SeriesInfo {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A place series are kept and read back from. */
export interface MetricStore {
  /** A short description for messages, e.g. `embedded:data/monitoring`. */
  readonly description: string;
  /** Answers a query; rejects with a StoreUnavailableError when the store cannot be reached. */
  query(query: Query): Promise<QueryResult>;
  /** The series of a metric seen between two times. */
  listSeries(
    metric: string,
    startMillis: number,
    endMillis: number,
  ): Promise<SeriesInfo[]>;
  close(): Promise<void>;
}

/** The store could not be reached or answered with an error. */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    readonly store: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/** The query cannot be answered by this store (e.g. raw PromQL on the embedded store). */
export class UnsupportedQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedQueryError";
  }
}
