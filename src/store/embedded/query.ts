/**
 * The embedded store's reading side: a MetricStore over the series database
 * that selects raw series with `readPoints` and answers with the query maths
 * of `query/evaluate.ts`, so its answers follow model.ts exactly.
 */
import { diag } from "@opentelemetry/api";
import { findMetric, type CatalogMetric } from "../../metrics/catalog.js";
import { evaluate, type ShapedSeries } from "../../query/evaluate.js";
import { QueryError, type Query, type QueryResult } from "../../query/model.js";
import {
  cumulativeFromDelta,
  cumulativeHistogramFromDelta,
  type HistogramPoint,
  type NumberPoint,
  type RawSeries,
} from "../../query/series.js";
import { resultUnit, validateQuery } from "../../query/statistic.js";
import {
  StoreUnavailableError,
  type MetricStore,
  type SeriesInfo,
} from "../types.js";
import { EmbeddedDatabase } from "./database.js";
import { metricsDir, seriesDatabasePath } from "./paths.js";
import type { SeriesPoints, SeriesSelector } from "./samples.js";

/** A MetricStore over `<dataDir>/metrics/series.db`. */
export class EmbeddedStore implements MetricStore {
  // Queries asked together read the same rows: `stats` asks for eight
  // statistics of one metric at once, and reading a million samples eight
  // times cost seven eighths of its time. A read is shared within the
  // synchronous turn it was made in and dropped at the next microtask, so no
  // answer is ever older than the turn that asked for it.
  private readonly turnReads = new Map<string, SeriesPoints[]>();

  constructor(
    private readonly db: EmbeddedDatabase,
    readonly description: string,
  ) {}

  /**
   * Opens the series database of a data directory for reading; throws a
   * StoreUnavailableError naming the file when there is none.
   */
  static open(dataDir: string): EmbeddedStore {
    try {
      const db = EmbeddedDatabase.open(dataDir, { readOnly: true });
      return new EmbeddedStore(db, `embedded:${dataDir}`);
    } catch (error) {
      throw explainReadOnlyDirectory(error, dataDir);
    }
  }

  async query(query: Query): Promise<QueryResult> {
    const metric = catalogMetric(query.metric);
    validateQuery(query, metric.shape);
    const raw = this.read(query, metric);
    return {
      query,
      unit: resultUnit(metric.shape, metric.unit, query.statistic),
      series: evaluate(query, shapedSeries(metric, raw)),
    };
  }

  async listSeries(
    metric: string,
    startMillis: number,
    endMillis: number,
  ): Promise<SeriesInfo[]> {
    const name = catalogMetric(metric).name;
    return this.db
      .listSeries(name, startMillis, endMillis)
      .map(({ labels }) => ({ metric: name, labels }));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private read(query: Query, metric: CatalogMetric): SeriesPoints[] {
    const windowSeconds = query.windowSeconds ?? query.stepSeconds ?? 0;
    const selector = {
      metric: metric.name,
      filters: query.filters,
      // A range query's first point looks back one window before start.
      startMillis:
        query.stepSeconds === undefined
          ? query.startMillis
          : query.startMillis - windowSeconds * 1000,
      endMillis: query.endMillis,
    };
    const inRange = this.readInTurn(selector);
    if (!inRange.some(isDelta)) return inRange;

    // A delta series' running total must start where a cumulative exporter's
    // would, at its first point, or extrapolation would see other values.
    const fromStart = this.readInTurn({ ...selector, startMillis: 0 });
    return [
      ...inRange.filter((s) => !isDelta(s)),
      ...fromStart.filter(isDelta),
    ];
  }

  /** readPoints, shared by the queries of one synchronous turn (see turnReads). */
  private readInTurn(selector: SeriesSelector): SeriesPoints[] {
    const key = JSON.stringify(selector);
    const known = this.turnReads.get(key);
    if (known !== undefined) return known;
    const samples = readOrRefuse(this.db, selector);
    if (this.turnReads.size === 0) {
      queueMicrotask(() => this.turnReads.clear());
    }
    this.turnReads.set(key, samples);
    return samples;
  }
}

function catalogMetric(name: string): CatalogMetric {
  const metric = findMetric(name);
  if (metric === undefined) {
    throw new QueryError(`the catalog holds no metric "${name}"`);
  }
  return metric;
}

function readOrRefuse(
  db: EmbeddedDatabase,
  selector: SeriesSelector,
): SeriesPoints[] {
  try {
    return db.readPoints(selector);
  } catch (error) {
    // A filter's regex that does not compile: the query's fault, not the store's.
    if (error instanceof RangeError) {
      throw new QueryError(error.message, { cause: error });
    }
    throw error;
  }
}

function isDelta(series: SeriesPoints): boolean {
  return series.series.temporality === "delta";
}

/** Raw series in the shape the catalog gives the metric; others are skipped. */
function shapedSeries(
  metric: CatalogMetric,
  raw: SeriesPoints[],
): ShapedSeries {
  const wanted = metric.shape === "histogram" ? "histogram" : ["gauge", "sum"];
  const fitting = raw.filter(({ series }) => {
    const fits = wanted.includes(series.kind);
    if (!fits) {
      diag.debug(
        `embedded store: skipping a ${series.kind} series of ${metric.name}, which the catalog has as a ${metric.shape}`,
      );
    }
    return fits;
  });

  if (metric.shape === "histogram") {
    return {
      shape: "histogram",
      series: fitting.map((s) => histogramSeries(s)),
    };
  }
  return { shape: metric.shape, series: fitting.map((s) => numberSeries(s)) };
}

function numberSeries({ series, points }: SeriesPoints): RawSeries {
  const numbers = points as readonly NumberPoint[];
  return {
    labels: series.labels,
    points:
      series.temporality === "delta" ? cumulativeFromDelta(numbers) : numbers,
  };
}

function histogramSeries({
  series,
  points,
}: SeriesPoints): RawSeries<HistogramPoint> {
  const histograms = points as readonly HistogramPoint[];
  return {
    labels: series.labels,
    points:
      series.temporality === "delta"
        ? cumulativeHistogramFromDelta(histograms)
        : histograms,
  };
}

// SQLITE_READONLY_DIRECTORY: SQLite's own code for the case below.
const SQLITE_READONLY_DIRECTORY = 1544;

/**
 * The open's error, explained when it is the one a reader who may not write
 * the data directory meets. A WAL database is read through its `-shm` file;
 * while the collector has the database open that file exists and a reader
 * needs no write access, but when nobody has it open SQLite must create it,
 * in the directory. SQLite says "attempt to write a readonly database", which
 * reads as though we tried to change the data.
 */
function explainReadOnlyDirectory(error: unknown, dataDir: string): unknown {
  if (!(error instanceof StoreUnavailableError)) return error;
  const cause = error.cause as { errcode?: number } | undefined;
  if (cause?.errcode !== SQLITE_READONLY_DIRECTORY) return error;
  const file = seriesDatabasePath(dataDir);
  return new StoreUnavailableError(
    `cannot read ${file}: with no collector running, SQLite needs to create ${file}-shm to read the database, which needs write permission on ${metricsDir(dataDir)} (nothing in the data is changed); grant this user write access to that directory, read as the collector's user, or read while the collector runs`,
    error.store,
    { cause: error },
  );
}
