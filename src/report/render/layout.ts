/** Lays a report out as blocks, section by section. */
import type {
  AlertsSection,
  ApplicationSection,
  BusinessSection,
  CapacitySection,
  CorrelationsSection,
  OptimizationSection,
  Percentiles,
  Report,
  Summary,
  SystemSection,
  TrendsSection,
  UsersSection,
  Labelled,
} from "../types.js";
import type { Block, Layout } from "./blocks.js";
import {
  formatFigure as f,
  formatNumber,
  formatPValue,
  formatSigned,
  formatTime,
} from "./format.js";

/** The report as blocks, in section order. */
export function layoutReport(report: Report): Layout {
  const subtitle = [
    `Window: ${formatTime(report.window.start)} to ${formatTime(report.window.end)}`,
    report.previousWindow === null
      ? "Compared with: nothing"
      : `Compared with: ${formatTime(report.previousWindow.start)} to ${formatTime(report.previousWindow.end)}`,
    `Store: ${report.store}; generated ${formatTime(report.generatedAt)}; chart step ${report.stepSeconds} s`,
  ];
  return {
    title: "td-monitoring report",
    subtitle,
    blocks: [
      ...section("system", "System performance", report.system, systemBlocks),
      ...section(
        "application",
        "Application performance",
        report.application,
        applicationBlocks,
      ),
      ...section("users", "User analytics", report.users, usersBlocks),
      ...section("business", "Business", report.business, businessBlocks),
      ...alertBlocks(report.alerts),
      ...section("trends", "Trends", report.trends, trendBlocks),
      ...section(
        "correlations",
        "Correlations",
        report.correlations,
        correlationBlocks,
      ),
      ...section("capacity", "Capacity", report.capacity, capacityBlocks),
      ...section(
        "optimization",
        "Optimization opportunities",
        report.optimization,
        optimizationBlocks,
      ),
    ],
  };
}

function section<
  T extends { hasData: boolean; charts: Report["system"]["charts"] },
>(id: string, title: string, data: T, body: (data: T) => Block[]): Block[] {
  const head: Block = { kind: "section", id, title };
  if (!data.hasData) {
    return [
      head,
      { kind: "paragraph", tone: "note", text: "No data in this window." },
    ];
  }
  return [
    head,
    ...body(data),
    ...data.charts.map((chart) => ({ kind: "chart", chart }) as const),
  ];
}

function table(columns: string[], rows: string[][]): Block[] {
  return rows.length === 0 ? [] : [{ kind: "table", columns, rows }];
}

const SUMMARY_COLUMNS = ["", "average", "p95", "peak", "peak at"];

function summaryRow(label: string, s: Summary): string[] {
  return [label, f(s.avg), f(s.p95), f(s.peak), formatTime(s.peakAt)];
}

function summaryRows(prefix: string, rows: ReadonlyArray<Labelled<Summary>>) {
  return rows.map((r) => summaryRow(`${prefix} ${r.label}`, r));
}

function systemBlocks(s: SystemSection): Block[] {
  const rows = [
    ...(s.cpu.avg.value === null ? [] : [summaryRow("CPU used", s.cpu)]),
    ...(s.memory.avg.value === null
      ? []
      : [summaryRow("memory used", s.memory)]),
    ...summaryRows("filesystem", s.filesystems),
    ...summaryRows("disk", s.diskIo),
    ...summaryRows("network", s.network),
  ];
  return table(SUMMARY_COLUMNS, rows);
}

function percentileCells(p: Percentiles): string[] {
  return [f(p.p50), f(p.p95), f(p.p99)];
}

function applicationBlocks(a: ApplicationSection): Block[] {
  const { http, documents, queues, cache } = a;
  const blocks: Block[] = [];
  if (http.requests.value !== null) {
    blocks.push(
      { kind: "heading", text: "API" },
      ...table(
        ["route", "requests", "throughput", "error rate", "p50", "p95", "p99"],
        [
          [
            "all routes",
            f(http.requests),
            f(http.throughput),
            f(http.errorRate),
            ...percentileCells(http.latency),
          ],
          ...http.routes.map((r) => [
            r.label,
            f(r.requests),
            f(r.throughput),
            f(r.errorRate),
            ...percentileCells(r),
          ]),
        ],
      ),
    );
  }
  if (documents.processed.value !== null) {
    blocks.push(
      { kind: "heading", text: "Document processing" },
      ...table(
        ["type", "processed", "failed", "failure rate", "p95 duration"],
        [
          [
            "all types",
            f(documents.processed),
            f(documents.failed),
            f(documents.failureRate),
            f(documents.duration.p95),
          ],
          ...documents.byType.map((t) => [
            t.label,
            f(t.processed),
            f(t.failed),
            f(t.failureRate),
            f(t.durationP95),
          ]),
        ],
      ),
      {
        kind: "paragraph",
        text:
          documents.duration.p50.value === null
            ? `Rate ${f(documents.rate)}.`
            : `Rate ${f(documents.rate)}; duration p50 ${f(documents.duration.p50)}, p95 ${f(documents.duration.p95)}, p99 ${f(documents.duration.p99)}.`,
      },
    );
  }
  if (queues.length > 0) {
    blocks.push(
      { kind: "heading", text: "Queues" },
      ...table(
        ["queue", "average", "peak", "last"],
        queues.map((q) => [q.label, f(q.avg), f(q.peak), f(q.last)]),
      ),
    );
  }
  if (cache.lookups.value !== null) {
    blocks.push(
      { kind: "heading", text: "Cache" },
      ...table(
        ["cache", "lookups", "hit ratio"],
        [
          ["all caches", f(cache.lookups), f(cache.hitRatio)],
          ...cache.byCache.map((c) => [c.label, f(c.lookups), f(c.hitRatio)]),
        ],
      ),
    );
  }
  return blocks;
}

function usersBlocks(u: UsersSection): Block[] {
  const blocks: Block[] = [];
  const facts = [
    ["peak active users (5 min)", f(u.activePeak), formatTime(u.activePeakAt)],
    ["sessions open, average", f(u.sessions.avg), ""],
    ["sessions open, peak", f(u.sessions.peak), ""],
    ["errors encountered", f(u.errors.total), ""],
  ].filter((row) => row[1] !== "n/a");
  blocks.push(...table(["", "value", "at"], facts));
  blocks.push(
    ...labelledTable(
      "Daily active users",
      ["day", "users"],
      u.daily.map((d) => [d.day, f(d.users)]),
    ),
    ...labelledTable(
      "Top features",
      ["feature", "uses"],
      u.topFeatures.map((t) => [t.label, f(t.uses)]),
    ),
    ...labelledTable(
      "Errors by type",
      ["error type", "count"],
      u.errors.byType.map((e) => [e.label, f(e.count)]),
    ),
  );
  const s = u.satisfaction;
  if (s.responses.value !== null) {
    blocks.push(
      { kind: "heading", text: "Satisfaction (1 to 5)" },
      ...table(
        ["responses", "mean", "p25", "median", "p75"],
        [[f(s.responses), f(s.mean), f(s.p25), f(s.median), f(s.p75)]],
      ),
      ...labelledTable(
        "Satisfaction by score",
        ["score", "responses", "share"],
        s.distribution.map((d) => [
          String(d.score),
          f(d.responses),
          f(d.share),
        ]),
      ),
    );
  }
  return blocks;
}

function labelledTable(
  title: string,
  columns: string[],
  rows: string[][],
): Block[] {
  return rows.length === 0
    ? []
    : [{ kind: "heading", text: title }, ...table(columns, rows)];
}

function businessBlocks(b: BusinessSection): Block[] {
  const growthRow = (label: string, g: BusinessSection["documents"]) => [
    label,
    f(g.current),
    f(g.previous),
    formatSigned(g.growth),
  ];
  const blocks: Block[] = [
    ...table(
      ["", "this period", "previous period", "growth"],
      [growthRow("documents", b.documents), growthRow("new users", b.newUsers)],
    ),
  ];
  if (b.uptime.fraction.value !== null) {
    blocks.push({
      kind: "paragraph",
      text: `Uptime ${f(b.uptime.fraction)} (down ${f(b.uptime.downtime)} in ${b.uptime.gaps.length} gap${b.uptime.gaps.length === 1 ? "" : "s"}), read from gaps in the app's own series.`,
    });
    blocks.push(
      ...table(
        ["down from", "to", "for"],
        b.uptime.gaps.map((g) => [
          formatTime(g.from),
          formatTime(g.to),
          f({ value: g.seconds, unit: "s" }),
        ]),
      ),
    );
  }
  const c = b.cost;
  blocks.push(
    c.costPerInstanceHour.value === null
      ? {
          kind: "paragraph",
          tone: "note",
          text: `No cost model set (--cost-per-instance-hour or TD_MONITORING_COST_PER_INSTANCE_HOUR); instance-hours: ${f(c.instanceHours)}.`,
        }
      : {
          kind: "paragraph",
          text: `Cost: ${f(c.instanceHours)} at ${f(c.costPerInstanceHour)} = ${f(c.total)}; per thousand documents: ${f(c.perThousandDocuments)}.`,
        },
  );
  return blocks;
}

function alertBlocks(a: AlertsSection): Block[] {
  const head: Block = { kind: "section", id: "alerts", title: "Alerts" };
  if (!a.historyAvailable) {
    return [
      head,
      { kind: "paragraph", tone: "note", text: "No alert history." },
    ];
  }
  if (!a.hasData) {
    return [
      head,
      {
        kind: "paragraph",
        tone: "note",
        text: "No alerts fired or resolved in this window.",
      },
    ];
  }
  return [
    head,
    ...table(
      ["severity", "fired", "resolved"],
      a.bySeverity.map((s) => [s.severity, f(s.fired), f(s.resolved)]),
    ),
    {
      kind: "paragraph",
      text: `Mean time to resolve: ${f(a.meanTimeToResolve)}.`,
    },
    ...labelledTable(
      "Noisiest rules",
      ["rule", "fired"],
      a.noisiest.map((n) => [n.label, f(n.fired)]),
    ),
    ...labelledTable(
      "Firing now",
      ["rule", "severity", "since", "labels"],
      a.firingNow.map((x) => [
        x.rule,
        x.severity,
        formatTime(x.since),
        Object.entries(x.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(", "),
      ]),
    ),
  ];
}

function trendBlocks(t: TrendsSection): Block[] {
  const notable = t.items.filter((i) => i.notable);
  return [
    {
      kind: "paragraph",
      tone: notable.length === 0 ? "note" : "finding",
      text:
        notable.length === 0
          ? "No change stands out of the noise."
          : `Stands out: ${notable.map((i) => `${i.title} ${formatSigned(i.change.value === null ? i.slope : i.change)}`).join("; ")}.`,
    },
    ...table(
      [
        "figure",
        "this period",
        "previous",
        "change",
        "slope",
        "p (change)",
        "p (slope)",
        "",
      ],
      t.items.map((i) => [
        i.title,
        f(i.current),
        f(i.previous),
        formatSigned(i.change),
        formatSigned(i.slope),
        formatPValue(i.changePValue),
        formatPValue(i.slopePValue),
        i.notable ? "stands out" : "",
      ]),
    ),
  ];
}

function correlationBlocks(c: CorrelationsSection): Block[] {
  if (c.pairs.length === 0) {
    return [
      {
        kind: "paragraph",
        tone: "note",
        text: "No pair of key figures moved together (|r| ≥ 0.5).",
      },
    ];
  }
  return table(
    ["figure", "moved with", "coefficient (r)", "steps"],
    c.pairs.map((p) => [
      p.a,
      p.b,
      formatNumber(p.coefficient),
      String(p.points),
    ]),
  );
}

function capacityBlocks(c: CapacitySection): Block[] {
  return [
    ...table(
      ["filesystem", "used", "growth per day", "full at", "time to full"],
      c.filesystems.map((fs) => [
        fs.label,
        f(fs.utilization),
        formatSigned(fs.growthPerDay),
        fs.fullAt === null ? "not filling" : formatTime(fs.fullAt),
        f(fs.timeToFull),
      ]),
    ),
    ...table(
      ["resource", "peak", "headroom at peak"],
      [
        ["CPU", f(c.cpu.peak), f(c.cpu.headroom)],
        ["memory", f(c.memory.peak), f(c.memory.headroom)],
      ].filter((row) => row[1] !== "n/a"),
    ),
  ];
}

function optimizationBlocks(o: OptimizationSection): Block[] {
  if (o.findings.length === 0) {
    return [
      {
        kind: "paragraph",
        tone: "note",
        text: "Nothing found to optimize in these figures.",
      },
    ];
  }
  return o.findings.flatMap((x): Block[] => [
    { kind: "heading", text: x.title },
    { kind: "paragraph", tone: "finding", text: x.detail },
  ]);
}
