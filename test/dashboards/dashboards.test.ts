import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { catalog, type CatalogMetric } from "../../src/metrics/catalog.js";

const root = join(import.meta.dirname, "..", "..");
const dashboardDir = join(root, "dashboards", "grafana");

// Prometheus writes ALERTS for the rules it evaluates; it is the one series
// outside the catalog a dashboard may name.
const NON_CATALOG_ALLOWED = new Set(["ALERTS"]);

function seriesNames(metric: CatalogMetric): string[] {
  const base = metric.prometheusName;
  if (metric.shape !== "histogram") return [base];
  return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
}

const catalogNames = new Map<string, CatalogMetric>();
for (const metric of catalog) {
  for (const name of seriesNames(metric)) catalogNames.set(name, metric);
}

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  type: string;
  name: string;
  query: string | { query: string };
}

interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  templating: { list: Variable[] };
  panels: Panel[];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

// Grafana replaces these before the query reaches Prometheus; the parser
// needs a literal in their place, as Prometheus gets one.
function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$\{?__(rate_interval|interval|range)\}?/g, "5m")
    .replace(/\$\{?__range_s\}?/g, "300");
}

interface ParsedQuery {
  errors: string[];
  metricNames: string[];
}

/** Parses PromQL with Prometheus' own lezer grammar. */
function parsePromQL(expr: string): ParsedQuery {
  const text = substituteGrafanaVariables(expr);
  const tree = parser.parse(text);
  const errors: string[] = [];
  const metricNames: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      errors.push(
        `error at ${cursor.from}: "${text.slice(cursor.from, cursor.from + 20)}"`,
      );
    }
    if (cursor.name === "Identifier") {
      const parent = cursor.node.parent;
      if (parent?.name === "VectorSelector") {
        metricNames.push(text.slice(cursor.from, cursor.to));
      }
    }
    if (cursor.name === "LabelName" || cursor.name === "QuotedLabelName") {
      // {__name__="x"} names a metric too.
      const label = text.slice(cursor.from, cursor.to).replace(/"/g, "");
      const matcher = cursor.node.parent;
      if (label === "__name__" && matcher) {
        const value = matcher.getChild("StringLiteral");
        if (value) metricNames.push(text.slice(value.from + 1, value.to - 1));
      }
    }
  } while (cursor.next());
  return { errors, metricNames };
}

function loadDashboards(): Map<string, Dashboard> {
  const files = readdirSync(dashboardDir).filter((f) => f.endsWith(".json"));
  return new Map(
    files.map((file) => [
      file,
      JSON.parse(readFileSync(join(dashboardDir, file), "utf8")) as Dashboard,
    ]),
  );
}

const dashboards = loadDashboards();

function queriesOf(dashboard: Dashboard): { where: string; expr: string }[] {
  const queries: { where: string; expr: string }[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      queries.push({
        where: `panel "${panel.title}" target ${target.refId}`,
        expr: target.expr,
      });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") continue;
    const query =
      typeof variable.query === "string"
        ? variable.query
        : variable.query.query;
    // label_values(<selector>, label) is Grafana's; its selector is PromQL.
    const match = /^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$/.exec(
      query,
    );
    expect(match, `variable $${variable.name}: ${query}`).not.toBeNull();
    queries.push({ where: `variable $${variable.name}`, expr: match![1]! });
  }
  return queries;
}

describe("the PromQL check itself", () => {
  it("finds metric names and reports syntax errors", () => {
    expect(
      parsePromQL(
        'sum by (le) (rate(a_bucket{x="1"}[$__rate_interval])) / on() b + {__name__="c"}',
      ),
    ).toEqual({ errors: [], metricNames: ["a_bucket", "b", "c"] });
    expect(parsePromQL("sum(rate(a[5m])").errors).not.toEqual([]);
    expect(parsePromQL("rate(a[$__rate_interval])").errors).toEqual([]);
  });
});

describe("Grafana dashboards", () => {
  it("cover system, API, documents, users, business and alerts", () => {
    const areas = [...dashboards.values()].map((d) => d.tags);
    for (const area of [
      "system",
      "api",
      "documents",
      "users",
      "business",
      "alerts",
    ]) {
      expect(
        areas.some(
          (tags) => tags.includes("td-monitoring") && tags.includes(area),
        ),
        area,
      ).toBe(true);
    }
  });

  it("name every catalog metric somewhere, each in the dashboard of its area", () => {
    const namesIn = (uid: string) => {
      const dashboard = [...dashboards.values()].find((d) => d.uid === uid);
      expect(dashboard, uid).toBeDefined();
      return new Set(
        queriesOf(dashboard!).flatMap((q) => parsePromQL(q.expr).metricNames),
      );
    };
    const areaOf = (metric: CatalogMetric): string => {
      if (metric.source === "host" || metric.source === "runtime") {
        return "td-system";
      }
      if (metric.source === "http") return "td-api";
      if (/^td\.(documents?|queue)\./.test(metric.name)) return "td-documents";
      if (/^td\.(users?|sessions)\./.test(metric.name)) return "td-users";
      return "td-business";
    };
    for (const metric of catalog) {
      const names = namesIn(areaOf(metric));
      expect(
        seriesNames(metric).some((n) => names.has(n)),
        `${metric.name} (${metric.prometheusName}) on ${areaOf(metric)}`,
      ).toBe(true);
    }
    expect(namesIn("td-alerts").has("ALERTS")).toBe(true);
  });

  it("match what dashboards/generate.mjs writes", () => {
    // The generator exits non-zero and names the file when one differs.
    execFileSync(
      process.execPath,
      [join(root, "dashboards/generate.mjs"), "--check"],
      {
        stdio: "pipe",
      },
    );
  });

  describe.each([...dashboards.keys()])("%s", (file) => {
    const dashboard = dashboards.get(file)!;

    it("is a current Grafana dashboard with the data source as a variable", () => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(dashboard.uid).toMatch(/^td-[a-z]+$/);
      const datasource = dashboard.templating.list.find(
        (v) => v.type === "datasource",
      );
      expect(datasource).toMatchObject({
        name: "datasource",
        query: "prometheus",
      });

      const ids = new Set<number>();
      for (const panel of allPanels(dashboard.panels)) {
        expect(ids.has(panel.id), `duplicate panel id ${panel.id}`).toBe(false);
        ids.add(panel.id);
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
        if (panel.type === "row") continue;
        expect(panel.datasource, panel.title).toEqual({
          type: "prometheus",
          uid: "${datasource}",
        });
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(target.datasource?.uid, panel.title).toBe("${datasource}");
        }
      }
    });

    it("has queries that parse and name only catalog metrics", () => {
      const queries = queriesOf(dashboard);
      expect(queries.length).toBeGreaterThan(0);
      for (const { where, expr } of queries) {
        const { errors, metricNames } = parsePromQL(expr);
        expect(errors, `${where}: ${expr}`).toEqual([]);
        expect(
          metricNames.length,
          `${where} names no metric: ${expr}`,
        ).toBeGreaterThan(0);
        for (const name of metricNames) {
          const known = catalogNames.has(name) || NON_CATALOG_ALLOWED.has(name);
          expect(known, `${where}: "${name}" is not a catalog metric`).toBe(
            true,
          );
        }
      }
    });
  });
});
