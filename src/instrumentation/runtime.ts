/**
 * Node runtime metrics: uptime, process memory and CPU, event-loop delay and
 * utilization, V8 heap spaces and garbage-collection time.
 */
import {
  PerformanceObserver,
  constants,
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type PerformanceEntry,
} from "node:perf_hooks";
import v8 from "node:v8";
import type { Meter } from "@opentelemetry/api";
import {
  instrumentOptions,
  observeBatch,
  requireMetric,
  type Observe,
} from "./instruments.js";

const NANOS_PER_SECOND = 1e9;
const MILLIS_PER_SECOND = 1e3;
const MICROS_PER_MILLI = 1e3;

/** Registers the runtime observers; returns what stops them. */
export function startRuntimeMetrics(meter: Meter): () => void {
  observeBatch(
    meter,
    ["process.uptime", "process.memory.usage", "process.cpu.utilization"],
    processObserver(),
  );
  const stopEventLoop = observeEventLoop(meter);
  observeBatch(
    meter,
    ["v8js.memory.heap.used", "v8js.memory.heap.limit"],
    (observe) => {
      for (const space of v8.getHeapSpaceStatistics()) {
        const at = { "v8js.heap.space.name": space.space_name };
        observe("v8js.memory.heap.used", space.space_used_size, at);
        observe("v8js.memory.heap.limit", space.space_size, at);
      }
    },
  );
  const stopGc = observeGc(meter);
  return () => {
    stopEventLoop();
    stopGc();
  };
}

function processObserver() {
  let previousCpu = process.cpuUsage();
  let previousMillis = performance.now();
  return (observe: Observe) => {
    observe("process.uptime", process.uptime());
    observe("process.memory.usage", process.memoryUsage.rss());

    const cpu = process.cpuUsage(previousCpu);
    const now = performance.now();
    const elapsedMicros = (now - previousMillis) * MICROS_PER_MILLI;
    previousCpu = process.cpuUsage();
    previousMillis = now;
    if (elapsedMicros <= 0) return;
    observe("process.cpu.utilization", cpu.user / elapsedMicros, {
      "process.cpu.state": "user",
    });
    observe("process.cpu.utilization", cpu.system / elapsedMicros, {
      "process.cpu.state": "system",
    });
  };
}

// Event-loop delay and utilization are read, then reset, at each
// observation, so each point describes the interval since the previous one.
function observeEventLoop(meter: Meter): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  observeBatch(
    meter,
    [
      "nodejs.eventloop.delay.p99",
      "nodejs.eventloop.delay.mean",
      "nodejs.eventloop.delay.max",
      "nodejs.eventloop.utilization",
    ],
    (observe) => {
      if (delay.count > 0) {
        observe(
          "nodejs.eventloop.delay.p99",
          delay.percentile(99) / NANOS_PER_SECOND,
        );
        observe("nodejs.eventloop.delay.mean", delay.mean / NANOS_PER_SECOND);
        observe("nodejs.eventloop.delay.max", delay.max / NANOS_PER_SECOND);
      }
      delay.reset();
      const current = performance.eventLoopUtilization();
      observe(
        "nodejs.eventloop.utilization",
        performance.eventLoopUtilization(current, previous).utilization,
      );
      previous = current;
    },
  );
  return () => delay.disable();
}

// Node's GC kinds by the names the V8 semantic conventions use.
const GC_TYPES: ReadonlyMap<number, string> = new Map([
  [constants.NODE_PERFORMANCE_GC_MAJOR, "major"],
  [constants.NODE_PERFORMANCE_GC_MINOR, "minor"],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, "incremental"],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, "weakcb"],
]);

function observeGc(meter: Meter): () => void {
  const histogram = meter.createHistogram(
    "v8js.gc.duration",
    instrumentOptions(requireMetric("v8js.gc.duration")),
  );
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } })
        .detail?.kind;
      histogram.record(entry.duration / MILLIS_PER_SECOND, {
        "v8js.gc.type": GC_TYPES.get(kind ?? -1) ?? "unknown",
      });
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return () => observer.disconnect();
}
