import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { AlertStore } from "../../src/alerts/alert-store.js";
import { Evaluator } from "../../src/alerts/evaluator.js";
import { exportPrometheusRules } from "../../src/alerts/export.js";
import { loadRuleFile, parseRuleFile } from "../../src/alerts/rule.js";
import { MemoryStore } from "./helpers/memory-store.js";
import {
  promtool,
  runOurs,
  runPromtool,
  type AgreementCase,
} from "./helpers/agreement.js";
import { recordingNotifiers, tempDir, testClock } from "./helpers/fixtures.js";

const DEFAULT_RULES = new URL("../../rules/default.yaml", import.meta.url)
  .pathname;
const MINUTE = 60_000;

describe("Prometheus export", () => {
  it("writes the default rules as Prometheus rules that promtool accepts", async () => {
    const dir = await tempDir();
    const exported = exportPrometheusRules(await loadRuleFile(DEFAULT_RULES));
    expect(exported.skipped).toEqual([]);
    const file = path.join(dir, "rules.yaml");
    await writeFile(file, exported.yaml);
    expect(await promtool("check", "rules", file)).toContain(
      "SUCCESS: 18 rules found",
    );
    expect(exported.yaml).toContain(
      'expr: ((sum by (service_name) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[300000ms])) or (sum by (service_name) (rate(http_server_request_duration_seconds_count[300000ms]))) * 0) / (sum by (service_name) (rate(http_server_request_duration_seconds_count[300000ms])))) > 0.02 or (',
    );
    expect(exported.yaml).toContain(
      "expr: (avg by (host_name, system_filesystem_mountpoint) (predict_linear(system_filesystem_utilization_ratio[21600000ms], 86400))) >= 1",
    );
  });

  // Synthetic series, one value a minute from time 0, as promtool's input_series take them.
  const SERIES: Record<string, number[]> = {
    a: [
      0.5, 0.95, 0.95, 0.95, 0.95, 0.8, 0.95, 0.6, 0.95, 0.6, 0.6, 0.6, 0.6,
      0.6,
    ],
    b: [
      0.95, 0.95, 0.5, 0.95, 0.85, 0.75, 0.65, 0.65, 0.95, 0.95, 0.95, 0.95,
      0.5, 0.5,
    ],
  };
  const RULES = `rules:
  - id: Hold
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    for: 2m
    message: "CPU high on {{ labels.host.name }}"
  - id: Peak
    metric: system.cpu.utilization
    statistic: max
    window: 90s
    group_by: [host.name]
    condition: ">="
    tiers:
      - { severity: warning, threshold: 0.9 }
      - { severity: critical, threshold: 0.95 }
    message: "peak on {{ labels.host.name }}"
  - id: Sticky
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    keep_firing_for: 2m
    message: "sticky on {{ labels.host.name }}"
  - id: Hysteresis
    metric: system.cpu.utilization
    statistic: last
    window: 1m
    group_by: [host.name]
    condition: ">"
    threshold: 0.9
    clear_threshold: 0.7
    message: "hysteresis on {{ labels.host.name }}"
`;

  it("fires and resolves at the same evaluation steps as promtool test rules on the same series", async () => {
    const dir = await tempDir();
    const file = parseRuleFile(RULES, "equivalence.yaml");
    const store = new MemoryStore();
    for (const [host, values] of Object.entries(SERIES)) {
      store.add(
        "system.cpu.utilization",
        { "host.name": host },
        values.map((v, i) => [i * MINUTE, v]),
      );
    }
    const clock = testClock(0);
    const evaluator = new Evaluator({
      store,
      rules: file,
      alertsDir: dir,
      clock: clock.now,
      notifiers: recordingNotifiers().notifiers,
      changeContext: false,
    });
    const alerts = new AlertStore(dir);
    const tests: object[] = [];
    const firingSteps: string[] = [];
    const steps = SERIES.a?.length ?? 0;
    for (let minute = 0; minute < steps; minute += 1) {
      clock.set(minute * MINUTE);
      await evaluator.evaluateOnce();
      const firing = await alerts.list({ state: "firing" });
      for (const rule of file.rules) {
        const own = firing.filter((a) => a.rule === rule.id);
        firingSteps.push(
          ...own.map(
            (a) =>
              `${minute}m ${rule.id} ${a.labels["host.name"]} ${a.severity}`,
          ),
        );
        tests.push({
          eval_time: `${minute}m`,
          alertname: rule.id,
          exp_alerts: own
            .map((a) => {
              // Prometheus fires each tier a value is past; ours moves one alert.
              const severities = rule.tiers.filter(
                (t) => a.value >= t.threshold || t.severity === a.severity,
              );
              return severities.map((t) => ({
                exp_labels: {
                  host_name: a.labels["host.name"],
                  severity: t.severity,
                },
                exp_annotations: { summary: a.message },
              }));
            })
            .flat(),
        });
      }
    }
    // The evaluator's own answer, so a change in either side shows here first.
    expect(firingSteps.filter((s) => s.includes(" Hold "))).toEqual([
      "3m Hold a warning",
      "4m Hold a warning",
      "10m Hold b warning",
      "11m Hold b warning",
    ]);
    expect(firingSteps.filter((s) => s.includes("Sticky a"))).toEqual(
      ["1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m", "10m"].map(
        (m) => `${m} Sticky a warning`,
      ),
    );
    expect(firingSteps.filter((s) => s.includes("Hysteresis b"))).toEqual(
      ["0m", "1m", "3m", "4m", "5m", "8m", "9m", "10m", "11m"].map(
        (m) => `${m} Hysteresis b warning`,
      ),
    );

    const rulesFile = path.join(dir, "prometheus-rules.yaml");
    await writeFile(rulesFile, exportPrometheusRules(file).yaml);
    const testFile = path.join(dir, "test.yaml");
    await writeFile(
      testFile,
      stringify({
        rule_files: [rulesFile],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: Object.entries(SERIES).map(([host, values]) => ({
              series: `system_cpu_utilization_ratio{host_name="${host}"}`,
              values: values.join(" "),
            })),
            alert_rule_test: tests,
          },
        ],
      }),
    );
    expect(await promtool("test", "rules", testFile)).toContain("SUCCESS");
  });
});

/*
 * The kinds of rule the default rule file uses, taken from it unchanged, each
 * over synthetic series in promtool's notation: our evaluator over the
 * embedded store and promtool over the exported rules must have the same
 * alerts pending and firing at every evaluation (see helpers/agreement.ts).
 *
 * How the series keep clear of where the two legitimately differ:
 * - Window edges. Our maths, like Prometheus 2.x (promtool here is 2.42),
 *   includes both ends of a range; Prometheus 3 leaves the start out. Samples
 *   come every 15 s and evaluations every minute, so each edge sample is one
 *   of 20 or 60 in the window, and every value at an evaluation where the
 *   state changes is on the same side of its threshold either way (the
 *   margins are worked out per case; running our side once with windows
 *   open at the start gave the same transitions).
 * - Extrapolation in rate() and increase(). Both sides extrapolate as
 *   Prometheus does; at the minute steps the samples sit on both edges of the
 *   window, so nothing is extrapolated, and counters that started before the
 *   test (10000 documents, 40 errors) never meet the cap at zero.
 * - Tiers. Prometheus runs one rule per tier, each with its own `for`, where
 *   ours escalates one firing alert at once: the values stay in the warning
 *   tier (below 10 %, 20 % and 2.5 s), so only one tier is ever pending.
 */
const CASES: AgreementCase[] = [
  {
    // Counter error ratio over 15 minutes (60 intervals of 15 s). From 20m
    // to 40m, 12 of every 100 documents fail: at 27m the window holds 28
    // failing intervals, 12 · 28 / 6000 = 5.6 % > 5 % (26m: 4.8 %); firing
    // 5 minutes later. After 40m the share falls below 5 % at 49m and the
    // clearing threshold keeps it firing while above 2 %: 52m holds 12
    // failing intervals, 2.4 %; 53m 8, 1.6 %, resolved.
    name: "a counter error ratio (DocumentFailuresHigh)",
    rules: ["DocumentFailuresHigh"],
    sampleSeconds: 15,
    evaluationSeconds: 60,
    untilMinutes: 55,
    series: [
      {
        kind: "counter",
        metric: "td.documents.processed",
        labels: {
          "td.document.type": "invoice",
          "td.document.outcome": "success",
        },
        values: "10000+100x80 18088+88x79 25140+100x59",
      },
      {
        kind: "counter",
        metric: "td.documents.processed",
        labels: {
          "td.document.type": "invoice",
          "td.document.outcome": "failure",
        },
        values: "50+0x80 62+12x79 1010+0x59",
      },
      {
        kind: "counter",
        metric: "td.documents.processed",
        labels: {
          "td.document.type": "letter",
          "td.document.outcome": "success",
        },
        values: "0+40x220",
      },
    ],
    transitions: [
      "27m DocumentFailuresHigh td.document.type=invoice pending",
      "32m DocumentFailuresHigh td.document.type=invoice firing",
      "53m DocumentFailuresHigh td.document.type=invoice resolved",
    ],
  },
  {
    // The 5xx share of a histogram's request count over 5 minutes (20
    // intervals). From 10m to 25m, 16 of every 200 requests answer 500: at
    // 12m the window holds 8 such intervals, 128 / 4000 = 3.2 % > 2 % (11m:
    // 1.6 %); firing at 17m. At 29m 4 intervals remain, 1.6 % > the 1 %
    // clearing threshold; at 30m none, resolved.
    name: "a histogram's error ratio (ApiErrorRateHigh)",
    rules: ["ApiErrorRateHigh"],
    sampleSeconds: 15,
    evaluationSeconds: 60,
    untilMinutes: 32,
    series: [
      {
        kind: "histogram",
        metric: "http.server.request.duration",
        labels: { "service.name": "api", "http.response.status_code": "200" },
        requests: [
          { seconds: 0.2, count: "0+200x40 8184+184x59 19240+200x27" },
        ],
      },
      {
        kind: "histogram",
        metric: "http.server.request.duration",
        labels: { "service.name": "api", "http.response.status_code": "500" },
        requests: [{ seconds: 0.2, count: "40+0x40 56+16x59 1000+0x27" }],
      },
    ],
    transitions: [
      "12m ApiErrorRateHigh service.name=api pending",
      "17m ApiErrorRateHigh service.name=api firing",
      "30m ApiErrorRateHigh service.name=api resolved",
    ],
  },
  {
    // p95 from http.server.request.duration's buckets over 5 minutes, 100
    // requests per 15 s at 0.2 s (p95 0.2425 s). From 10m, 40 % take 1.5 s:
    // at 11m 160 of 2000 are slow, so rank 1900 lies in (1, 2.5] at
    // 1 + 1.5 · 60 / 160 = 1.5625 s > 1 s; the full window gives 2.3125 s,
    // below the critical 2.5 s. From 20m, 12 % take 0.9 s: 25m gives
    // 0.75 + 0.25 · 140 / 240 = 0.896 s, under 1 s but over the 0.75 s
    // clearing threshold, so it keeps firing. From 30m all are fast again: at
    // 32m 144 mild requests of 2000 give 0.826 s; at 33m 96, and rank 1900
    // falls in the fast bucket, resolved.
    name: "a histogram p95 latency (ApiLatencyHigh)",
    rules: ["ApiLatencyHigh"],
    sampleSeconds: 15,
    evaluationSeconds: 60,
    untilMinutes: 36,
    series: [
      {
        kind: "histogram",
        metric: "http.server.request.duration",
        labels: { "service.name": "api", "http.response.status_code": "200" },
        requests: [
          {
            seconds: 0.2,
            count: "0+100x40 4060+60x39 6488+88x39 10020+100x23",
          },
          { seconds: 1.5, count: "0+0x40 40+40x39 1600+0x63" },
          { seconds: 0.9, count: "0+0x80 12+12x39 480+0x23" },
        ],
      },
    ],
    transitions: [
      "11m ApiLatencyHigh service.name=api pending",
      "16m ApiLatencyHigh service.name=api firing",
      "33m ApiLatencyHigh service.name=api resolved",
    ],
  },
  {
    // no_data: alerting. Instance a reports every 15 s up to 10m15s, then
    // nothing until it restarts at 20m45s; b reports throughout. The last and
    // first samples are off the minute grid, so no window edge touches them:
    // the 3-minute window at 13m still holds 10m15s, at 14m nothing (pending),
    // firing 2 minutes later; at 21m it holds 20m45s, resolved. Prometheus
    // forgets a series silent for an hour and ours does not, so the silence
    // here is shorter.
    name: "an instance that stops reporting (InstanceNotReporting)",
    rules: ["InstanceNotReporting"],
    sampleSeconds: 15,
    evaluationSeconds: 60,
    untilMinutes: 24,
    series: [
      {
        kind: "gauge",
        metric: "process.uptime",
        labels: { "service.name": "api", "service.instance.id": "a" },
        values: "0+15x41 _x41 0+15x13",
      },
      {
        kind: "gauge",
        metric: "process.uptime",
        labels: { "service.name": "api", "service.instance.id": "b" },
        values: "0+15x96",
      },
    ],
    transitions: [
      "14m InstanceNotReporting service.instance.id=a,service.name=api pending",
      "16m InstanceNotReporting service.instance.id=a,service.name=api firing",
      "21m InstanceNotReporting service.instance.id=a,service.name=api resolved",
    ],
  },
  {
    // A forecast: /data fills by 0.0005 a minute, so 24 hours ahead it is at
    // 0.95875 + 0.0005 · t (t in minutes), 1 from 82.5m: pending at 85m,
    // firing 30 minutes later. Ours fits a line through about 60 points
    // resampled over the 6 hours, predict_linear through every sample: on a
    // straight line both are exact. A cleanup at 296m to 0.1 bends it, and
    // there the fits differ: at 300m five raw samples but one resampled
    // point are low, and the forecasts are 0.930 (ours) and 0.955
    // (Prometheus), both below 1 (resolved). Were the cleanup sample on an
    // evaluation, ours would read 0.93 there and Prometheus 1.08, one step
    // apart: hence the cleanup 4 minutes before one. /boot stays at 0.4.
    name: "a disk forecast to fill within 24 hours (DiskFullSoon)",
    rules: ["DiskFullSoon"],
    sampleSeconds: 60,
    evaluationSeconds: 300,
    untilMinutes: 305,
    series: [
      {
        kind: "gauge",
        metric: "system.filesystem.utilization",
        labels: { "host.name": "db", "system.filesystem.mountpoint": "/data" },
        values: "0.23875+0.0005x295 0.1+0x9",
      },
      {
        kind: "gauge",
        metric: "system.filesystem.utilization",
        labels: { "host.name": "db", "system.filesystem.mountpoint": "/boot" },
        values: "0.4+0x305",
      },
    ],
    transitions: [
      "85m DiskFullSoon host.name=db,system.filesystem.mountpoint=/data pending",
      "115m DiskFullSoon host.name=db,system.filesystem.mountpoint=/data firing",
      "300m DiskFullSoon host.name=db,system.filesystem.mountpoint=/data resolved",
    ],
  },
];

describe("the default rules' kinds agree with promtool test rules", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const file = await loadRuleFile(DEFAULT_RULES);
    const rules = {
      ...file,
      rules: file.rules.filter((r) => c.rules.includes(r.id)),
    };
    expect(rules.rules.map((r) => r.id)).toEqual(c.rules);
    const ours = await runOurs(c, rules);
    // Our evaluator's own answer, worked out by hand in the case.
    expect(ours.transitions).toEqual(c.transitions);
    expect(await runPromtool(c, rules, ours)).toContain("SUCCESS");
  });
});
