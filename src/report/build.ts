/**
 * Builds a report: runs each section against the store over the window and
 * gathers the plain data the renderers read.
 */
import type { MetricStore } from "../store/types.js";
import { createContext, isoTime, type Period } from "./context.js";
import { alertsSection, type AlertRecord } from "./sections/alerts.js";
import { applicationSection } from "./sections/application.js";
import { businessSection, type CostModel } from "./sections/business.js";
import { capacitySection } from "./sections/capacity.js";
import { correlationsSection } from "./sections/correlations.js";
import { optimizationSection } from "./sections/optimization.js";
import { systemSection } from "./sections/system.js";
import { trendsSection } from "./sections/trends.js";
import { usersSection } from "./sections/users.js";
import type { Report, ReportWindow } from "./types.js";

/** What to report on. */
export interface ReportOptions {
  readonly startMillis: number;
  readonly endMillis: number;
  /** Compare with the period of the same length just before; default true. */
  readonly comparePrevious?: boolean;
  /** Step of charts, trends and correlations; chosen from the window when absent. */
  readonly stepSeconds?: number;
  readonly cost?: CostModel;
  /** The alert history's records; undefined when there is no history. */
  readonly alerts?: readonly AlertRecord[];
  /** Called before each section and once at the end (done === total). */
  readonly onProgress?: (done: number, total: number, section: string) => void;
  /** The report's creation time; defaults to now. */
  readonly nowMillis?: number;
}

/** The section names, in the order they are built and shown. */
export const SECTIONS = [
  "system",
  "application",
  "users",
  "business",
  "alerts",
  "trends",
  "correlations",
  "capacity",
  "optimization",
] as const;

// Steps a chart may use; the smallest that keeps a chart under MAX_POINTS.
// Two minutes at least, so a step holds two samples of a 60 s export (rates
// need two).
const NICE_STEPS_SECONDS = [
  120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];
const MAX_POINTS = 300;

/** The chart step for a window: a round one giving at most 300 points. */
export function chooseStepSeconds(windowSeconds: number): number {
  return (
    NICE_STEPS_SECONDS.find((s) => windowSeconds / s <= MAX_POINTS) ??
    Math.ceil(windowSeconds / MAX_POINTS / 86400) * 86400
  );
}

/** Builds the report over a window of the store's series. */
export async function buildReport(
  store: MetricStore,
  options: ReportOptions,
): Promise<Report> {
  const { startMillis, endMillis, onProgress = () => {} } = options;
  if (!(endMillis > startMillis)) {
    throw new RangeError(
      `report window: end ${isoTime(endMillis)} is not after start ${isoTime(startMillis)}`,
    );
  }
  const lengthMillis = endMillis - startMillis;
  const current: Period = { startMillis, endMillis };
  const previous: Period | null =
    options.comparePrevious === false
      ? null
      : { startMillis: startMillis - lengthMillis, endMillis: startMillis };
  const stepSeconds =
    options.stepSeconds ?? chooseStepSeconds(lengthMillis / 1000);
  const ctx = createContext(store, current, previous, stepSeconds);

  let done = 0;
  const step = async <T>(name: string, run: () => Promise<T> | T) => {
    onProgress(done, SECTIONS.length, name);
    const result = await run();
    done += 1;
    return result;
  };
  const system = await step("system", () => systemSection(ctx));
  const application = await step("application", () => applicationSection(ctx));
  const users = await step("users", () => usersSection(ctx));
  const business = await step("business", () =>
    businessSection(ctx, options.cost ?? {}),
  );
  const alerts = await step("alerts", () =>
    alertsSection(current, options.alerts),
  );
  const trends = await step("trends", () => trendsSection(ctx));
  const correlations = await step("correlations", () =>
    correlationsSection(ctx),
  );
  const capacity = await step("capacity", () => capacitySection(ctx, system));
  const optimization = await step("optimization", () =>
    optimizationSection(ctx, { system, application, capacity }),
  );
  onProgress(done, SECTIONS.length, "done");

  return {
    schemaVersion: 1,
    generatedAt: isoTime(options.nowMillis ?? Date.now())!,
    store: store.description,
    window: windowOf(current),
    previousWindow: previous && windowOf(previous),
    stepSeconds,
    system,
    application,
    users,
    business,
    alerts,
    trends,
    correlations,
    capacity,
    optimization,
  };
}

function windowOf(period: Period): ReportWindow {
  return {
    start: isoTime(period.startMillis)!,
    end: isoTime(period.endMillis)!,
    seconds: (period.endMillis - period.startMillis) / 1000,
  };
}
