/**
 * Instruments made from catalog entries, so that names, units and
 * descriptions are written once, in the catalog.
 */
import {
  diag,
  type Meter,
  type Observable,
  type BatchObservableResult,
} from "@opentelemetry/api";
import { instrumentOptions, requireMetric } from "../metrics/catalog.js";

export { instrumentOptions, requireMetric };

/** Reports one observation of a catalog metric by its name. */
export type Observe = (
  name: string,
  value: number,
  attributes?: Record<string, string | number>,
) => void;

/**
 * Creates the catalog's observable instruments of `names` and one batch
 * callback for them. A failing source is logged once and then skipped
 * quietly, so a missing `/proc` file does not fill the log every interval.
 */
export function observeBatch(
  meter: Meter,
  names: readonly string[],
  collect: (observe: Observe) => void | Promise<void>,
): void {
  const instruments = new Map(
    names.map((name) => [name, createObservable(meter, name)]),
  );
  let failed = false;
  const callback = async (result: BatchObservableResult): Promise<void> => {
    const observe: Observe = (name, value, attributes) => {
      const instrument = instruments.get(name);
      if (instrument !== undefined && Number.isFinite(value)) {
        result.observe(instrument, value, attributes);
      }
    };
    try {
      await collect(observe);
    } catch (error) {
      if (!failed) diag.warn(`td-monitoring: cannot read ${names[0]}`, error);
      failed = true;
    }
  };
  meter.addBatchObservableCallback(callback, [...instruments.values()]);
}

function createObservable(meter: Meter, name: string): Observable {
  const metric = requireMetric(name);
  const options = instrumentOptions(metric);
  switch (metric.instrument) {
    case "observable_counter":
      return meter.createObservableCounter(name, options);
    case "observable_updowncounter":
      return meter.createObservableUpDownCounter(name, options);
    case "observable_gauge":
      return meter.createObservableGauge(name, options);
    default:
      throw new Error(`BUG: ${name} is a ${metric.instrument}, not observable`);
  }
}
