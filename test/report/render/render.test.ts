import { beforeAll, describe, expect, it } from "vitest";
import { renderJson } from "../../../src/report/render/json.js";
import { renderMarkdown } from "../../../src/report/render/markdown.js";
import {
  clean,
  renderText,
  sparkline,
} from "../../../src/report/render/text.js";
import { formatFigure } from "../../../src/report/render/format.js";
import type { Report } from "../../../src/report/types.js";
import { HOSTILE_FEATURE, HOSTILE_ROUTE } from "../dataset.js";
import { sampleReport } from "../sample-report.js";

let report: Report;
beforeAll(async () => {
  report = await sampleReport();
});

describe("formatFigure", () => {
  it.each([
    [{ value: 0.35, unit: "1" }, "35.0%"],
    [{ value: 0.0909090909, unit: "1" }, "9.09%"],
    [{ value: 0.0527777, unit: "s" }, "52.8 ms"],
    [{ value: 158400, unit: "s" }, "44 h"],
    [{ value: 259200, unit: "s" }, "3 d"],
    [{ value: 1_048_576, unit: "By/s" }, "1 MiB/s"],
    [{ value: 7920, unit: "{request}" }, "7,920 requests"],
    [{ value: 1, unit: "{alert}" }, "1 alert"],
    [{ value: 0.366667, unit: "{request}/s" }, "0.367 request/s"],
    [{ value: 0.05, unit: "1/h" }, "5.00%/h"],
    [{ value: 4.1, unit: "{score}" }, "4.1"],
    [{ value: null, unit: "s" }, "n/a"],
  ])("%o reads %s", (figure, text) => {
    expect(formatFigure(figure)).toBe(text);
  });
});

describe("text", () => {
  it("shows the key figures and a section without data says so", () => {
    const text = renderText(report);
    expect(text).toMatch(
      /CPU used\s+35\.0%\s+48\.5%\s+50\.0%\s+2024-03-04 06:00 UTC/,
    );
    expect(text).toMatch(/all caches\s+7,200 lookups\s+30\.0%/);
    expect(text).toContain("Uptime 93.1% (down 25 min in 1 gap)");
    expect(text).toContain("per thousand documents: 0.1057");
    expect(text).toMatch(/score\s+responses\s+share/);
    expect(text).toMatch(/1\s+0 responses\s+0\.0%/);
    expect(text).toMatch(/4\s+288 responses\s+40\.0%/);
    expect(text).not.toMatch(/NaN|undefined/);
  });

  it("strips control characters from app values", () => {
    expect(clean("a\u001b[31mred\r")).toBe("a\ufffd[31mred\ufffd");
  });

  it("draws sparklines from low to high", () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([5, 5])).toBe("▁▁");
  });
});

describe("markdown", () => {
  const markdown = () => renderMarkdown(report);

  it("escapes hostile labels", () => {
    expect(markdown()).not.toContain(HOSTILE_ROUTE);
    expect(markdown()).not.toContain(HOSTILE_FEATURE);
    expect(markdown()).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("has every section and the key figures", () => {
    const md = markdown();
    for (const title of [
      "System performance",
      "Application performance",
      "User analytics",
      "Business",
      "Alerts",
      "Trends",
      "Correlations",
      "Capacity",
      "Optimization opportunities",
    ]) {
      expect(md).toContain(`## ${title}`);
    }
    expect(md).toContain(
      "| CPU used | 35.0% | 20.0% | +75.0% | +5.00%/h | &lt; 0.001 | &lt; 0.001 | stands out |",
    );
    expect(md).toContain("| CPU used | Event-loop delay p99 | 1 | 24 |");
    expect(md).toContain("| critical | 1 alert | 1 alert |");
    expect(md).toContain("| 2 | 72 responses | 10.0% |");
    expect(md).toContain("| 5 | 288 responses | 40.0% |");
    expect(md).not.toMatch(/NaN|undefined/);
  });
});

describe("json", () => {
  it("has a unit on every figure and no NaN", () => {
    const text = renderJson(report);
    expect(text).not.toContain("NaN");
    const figures: unknown[] = [];
    JSON.parse(text, (key, value: unknown) => {
      if (value !== null && typeof value === "object" && "value" in value) {
        figures.push(value);
      }
      return value;
    });
    expect(figures.length).toBeGreaterThan(100);
    for (const figure of figures) {
      expect(figure).toEqual({
        value: expect.toSatisfy((v) => v === null || Number.isFinite(v)),
        unit: expect.any(String),
      });
    }
  });

  it("keeps its top-level keys stable", () => {
    expect(Object.keys(JSON.parse(renderJson(report)))).toEqual([
      "schemaVersion",
      "generatedAt",
      "store",
      "window",
      "previousWindow",
      "stepSeconds",
      "system",
      "application",
      "users",
      "business",
      "alerts",
      "trends",
      "correlations",
      "capacity",
      "optimization",
    ]);
  });

  it("gives the satisfaction distribution per score with units", () => {
    const { users } = JSON.parse(renderJson(report)) as Report;
    expect(users.satisfaction.distribution[3]).toEqual({
      score: 4,
      responses: { value: 288, unit: "{response}" },
      share: { value: 0.4, unit: "1" },
    });
  });

  it("reports the alert history", () => {
    const { alerts } = JSON.parse(renderJson(report)) as Report;
    // Resolved after 30 minutes; DiskFilling still firing at the end.
    expect(alerts.meanTimeToResolve).toEqual({ value: 1800, unit: "s" });
    expect(alerts.firingNow.map((a) => a.rule)).toEqual(["DiskFilling"]);
    expect(alerts.bySeverity).toEqual([
      {
        severity: "critical",
        fired: { value: 1, unit: "{alert}" },
        resolved: { value: 1, unit: "{alert}" },
      },
      {
        severity: "warning",
        fired: { value: 1, unit: "{alert}" },
        resolved: { value: 0, unit: "{alert}" },
      },
    ]);
  });
});
