/** Types of display.mjs, for the tests. */
export interface LiveFigures {
  readonly requestsPerSecond?: number | null;
  readonly latencyP95Seconds?: number | null;
  readonly errorRatePercent?: number | null;
  readonly queueLength?: number | null;
  readonly activeUsers?: number | null;
  readonly firing?: number | null;
}

export function formatFigures(figures: LiveFigures): string;
