/**
 * The report as plain data: what every section found, with a unit on every
 * figure, series for charts and findings. The renderers (text, Markdown,
 * HTML, JSON) only read it; docs/report.md documents its JSON form.
 */

/**
 * One number with its UCUM unit (`1` for fractions, `s`, `By`, `By/s`,
 * `{request}/s` …). `value` is null where the data gives none: a report never
 * shows NaN or an invented value.
 */
export interface Figure {
  readonly value: number | null;
  readonly unit: string;
}

/** One line of a chart: `[time in ms, value]` points, oldest first. */
export interface ChartSeries {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** A time-series chart; only built when at least one series has points. */
export interface Chart {
  /** Stable id, e.g. `system.cpu_memory`. */
  readonly id: string;
  readonly title: string;
  /** The unit of every series' values. */
  readonly unit: string;
  readonly series: readonly ChartSeries[];
}

/** Average, 95th percentile and peak of a figure, and when the peak was. */
export interface Summary {
  readonly avg: Figure;
  readonly p95: Figure;
  readonly peak: Figure;
  /** ISO 8601 time of the step that held the peak; null without data. */
  readonly peakAt: string | null;
}

/** The parts every section shares. */
export interface SectionBase {
  /** False when the window holds none of the section's series. */
  readonly hasData: boolean;
  readonly charts: readonly Chart[];
}

/** A time range in the report, as ISO 8601 times. */
export interface ReportWindow {
  readonly start: string;
  readonly end: string;
  readonly seconds: number;
}

/** Latency percentiles of a histogram. */
export interface Percentiles {
  readonly p50: Figure;
  readonly p95: Figure;
  readonly p99: Figure;
}

/** A row of labelled figures, e.g. one route or one filesystem. */
export type Labelled<T> = T & { readonly label: string };

/** Host figures. */
export interface SystemSection extends SectionBase {
  /** CPU busy fraction (1 - idle). */
  readonly cpu: Summary;
  /** Memory used fraction. */
  readonly memory: Summary;
  /** Used fraction per mountpoint. */
  readonly filesystems: ReadonlyArray<Labelled<Summary>>;
  /** Bytes per second per direction (read, write). */
  readonly diskIo: ReadonlyArray<Labelled<Summary>>;
  /** Bytes per second per direction (receive, transmit). */
  readonly network: ReadonlyArray<Labelled<Summary>>;
}

/** One HTTP route. */
export interface RouteFigures extends Percentiles {
  readonly requests: Figure;
  readonly throughput: Figure;
  readonly errorRate: Figure;
}

/** One document type. */
export interface DocumentTypeFigures {
  readonly processed: Figure;
  readonly failed: Figure;
  readonly failureRate: Figure;
  readonly durationP95: Figure;
}

/** Service figures. */
export interface ApplicationSection extends SectionBase {
  readonly http: {
    readonly latency: Percentiles;
    readonly requests: Figure;
    readonly throughput: Figure;
    /** Share of requests answered with a 5xx status. */
    readonly errorRate: Figure;
    readonly routes: ReadonlyArray<Labelled<RouteFigures>>;
  };
  readonly documents: {
    readonly processed: Figure;
    readonly rate: Figure;
    readonly failed: Figure;
    readonly failureRate: Figure;
    readonly duration: Percentiles;
    readonly byType: ReadonlyArray<Labelled<DocumentTypeFigures>>;
  };
  readonly queues: ReadonlyArray<
    Labelled<{
      readonly avg: Figure;
      readonly peak: Figure;
      readonly last: Figure;
    }>
  >;
  readonly cache: {
    readonly hitRatio: Figure;
    readonly lookups: Figure;
    readonly byCache: ReadonlyArray<
      Labelled<{ readonly hitRatio: Figure; readonly lookups: Figure }>
    >;
  };
}

/** User figures. */
export interface UsersSection extends SectionBase {
  /** The most distinct users in any 5-minute window. */
  readonly activePeak: Figure;
  readonly activePeakAt: string | null;
  /** Distinct users per day, as the app's one-day window counted them. */
  readonly daily: ReadonlyArray<{
    readonly day: string;
    readonly users: Figure;
  }>;
  readonly sessions: { readonly avg: Figure; readonly peak: Figure };
  readonly topFeatures: ReadonlyArray<Labelled<{ readonly uses: Figure }>>;
  readonly errors: {
    readonly total: Figure;
    readonly byType: ReadonlyArray<Labelled<{ readonly count: Figure }>>;
  };
  readonly satisfaction: {
    readonly responses: Figure;
    readonly mean: Figure;
    /** Quartiles of the scores, from the histogram buckets. */
    readonly p25: Figure;
    readonly median: Figure;
    readonly p75: Figure;
    /** The responses per score, 1 to 5; empty without responses. */
    readonly distribution: readonly ScoreShare[];
  };
}

/**
 * The responses of one satisfaction score: those in the histogram bucket
 * (score − 1, score], the first bucket's from below 1.
 */
export interface ScoreShare {
  /** 1 (worst) to 5 (best). */
  readonly score: number;
  /** `{response}`; null where the buckets do not single the score out. */
  readonly responses: Figure;
  /** The score's share of all responses (`1`). */
  readonly share: Figure;
}

/** A figure this period and the one before. */
export interface Growth {
  readonly current: Figure;
  readonly previous: Figure;
  /** (current - previous) / previous; null without a previous value. */
  readonly growth: Figure;
}

/** One stretch with no data from the monitored app. */
export interface Gap {
  readonly from: string;
  readonly to: string;
  readonly seconds: number;
}

/** Business figures. */
export interface BusinessSection extends SectionBase {
  readonly documents: Growth;
  readonly newUsers: Growth;
  readonly uptime: {
    readonly fraction: Figure;
    readonly downtime: Figure;
    readonly gaps: readonly Gap[];
  };
  readonly cost: {
    /** Null when the operator set no cost model. */
    readonly costPerInstanceHour: Figure;
    readonly instanceHours: Figure;
    readonly total: Figure;
    readonly perThousandDocuments: Figure;
  };
}

/** Alert activity in the window. */
export interface AlertsSection extends SectionBase {
  /** False when no alert history was found. */
  readonly historyAvailable: boolean;
  readonly bySeverity: ReadonlyArray<{
    readonly severity: string;
    readonly fired: Figure;
    readonly resolved: Figure;
  }>;
  readonly meanTimeToResolve: Figure;
  readonly noisiest: ReadonlyArray<Labelled<{ readonly fired: Figure }>>;
  readonly firingNow: ReadonlyArray<{
    readonly rule: string;
    readonly severity: string;
    readonly since: string;
    readonly labels: Readonly<Record<string, string>>;
  }>;
}

/** One key figure against the previous period. */
export interface TrendItem {
  readonly id: string;
  readonly title: string;
  readonly current: Figure;
  readonly previous: Figure;
  readonly change: Figure;
  /** Slope of the figure over this window, in its unit per hour. */
  readonly slope: Figure;
  /** p-value of the slope against no trend. */
  readonly slopePValue: Figure;
  /** p-value of Welch's test of this window's steps against the previous. */
  readonly changePValue: Figure;
  /** True when the change stands out of the noise (see docs/report.md). */
  readonly notable: boolean;
}

/** Key figures against the previous period. */
export interface TrendsSection extends SectionBase {
  readonly previousWindow: ReportWindow | null;
  readonly items: readonly TrendItem[];
}

/** Two figures that moved together. */
export interface CorrelationPair {
  readonly a: string;
  readonly b: string;
  readonly coefficient: Figure;
  readonly points: number;
}

/** The pairs of key figures that moved together most. */
export interface CorrelationsSection extends SectionBase {
  readonly pairs: readonly CorrelationPair[];
}

/** When a filesystem fills. */
export interface FilesystemForecast {
  readonly label: string;
  readonly utilization: Figure;
  /** Growth of the used fraction per day, from a least-squares fit. */
  readonly growthPerDay: Figure;
  /** ISO time the fit reaches 100%; null when it is not filling. */
  readonly fullAt: string | null;
  readonly timeToFull: Figure;
}

/** Capacity left. */
export interface CapacitySection extends SectionBase {
  readonly filesystems: readonly FilesystemForecast[];
  readonly cpu: { readonly peak: Figure; readonly headroom: Figure };
  readonly memory: { readonly peak: Figure; readonly headroom: Figure };
}

/** One optimization opportunity with the numbers behind it. */
export interface Finding {
  readonly id: string;
  readonly title: string;
  readonly detail: string;
  readonly figures: Readonly<Record<string, Figure>>;
}

/** Opportunities read off the figures above. */
export interface OptimizationSection extends SectionBase {
  readonly findings: readonly Finding[];
}

/** The whole report. */
export interface Report {
  /** Bumped when a key changes meaning or goes away. */
  readonly schemaVersion: 1;
  readonly generatedAt: string;
  readonly store: string;
  readonly window: ReportWindow;
  readonly previousWindow: ReportWindow | null;
  readonly stepSeconds: number;
  readonly system: SystemSection;
  readonly application: ApplicationSection;
  readonly users: UsersSection;
  readonly business: BusinessSection;
  readonly alerts: AlertsSection;
  readonly trends: TrendsSection;
  readonly correlations: CorrelationsSection;
  readonly capacity: CapacitySection;
  readonly optimization: OptimizationSection;
}
