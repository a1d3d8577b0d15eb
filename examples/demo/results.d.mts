/** Types of results.mjs, for the tests. */
export interface DemoAlert {
  readonly id?: string;
  readonly rule: string;
  readonly severity: string;
  readonly state: string;
  readonly firedAt: string | null;
  readonly resolvedAt: string | null;
  readonly peakValue: number | null;
  readonly message?: string;
}

export interface DemoFigures {
  readonly requests: number | null;
  readonly errorRate: number | null;
  readonly latencyP95Seconds: number | null;
  readonly peakStepLatencyP95Seconds: number | null;
  readonly documentsFailed: number | null;
  readonly peakQueueLength: number;
  readonly stepSeconds: number;
}

export interface DemoResults {
  readonly dataDir: string;
  readonly startedMillis: number;
  readonly seconds: number;
  readonly reports: {
    readonly md: string;
    readonly html: string;
    readonly json: string;
  };
  readonly alerts: readonly DemoAlert[];
  readonly figures: DemoFigures;
}

export function printSummary(
  results: DemoResults,
  options: { json: boolean },
): void;
