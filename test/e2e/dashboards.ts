/**
 * Every panel query of the shipped Grafana dashboards, with the template
 * variables replaced as Grafana would before sending it to Prometheus.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../collector/harness.js";

/** One panel target. */
export interface DashboardQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly expr: string;
}

interface Panel {
  title: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every target `expr` of dashboards/grafana/*.json, in file order. */
export function dashboardQueries(): DashboardQuery[] {
  const dir = join(repoRoot, "dashboards", "grafana");
  const queries: DashboardQuery[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const { panels } = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
      panels: Panel[];
    };
    const walk = (list: Panel[]) => {
      for (const panel of list) {
        for (const target of panel.targets ?? []) {
          if (target.expr === undefined) continue;
          queries.push({
            dashboard: file,
            panel: panel.title,
            expr: target.expr,
          });
        }
        walk(panel.panels ?? []);
      }
    };
    walk(panels);
  }
  return queries;
}

/**
 * The query Prometheus would get from Grafana: `$__rate_interval` as 1m (4
 * export intervals and more, what Grafana picks for a short scrape
 * interval), `$__interval` 15s, `$__range` the time the service has run,
 * and the job and instance variables as "All" (`.*`).
 */
export function substitute(expr: string, rangeSeconds: number): string {
  return expr
    .replace(/\$\{?__rate_interval\}?/g, "1m")
    .replace(/\$\{?__interval\}?/g, "15s")
    .replace(/\$\{?__range_s\}?/g, String(rangeSeconds))
    .replace(/\$\{?__range\}?/g, `${rangeSeconds}s`)
    .replace(/\$\{?(job|instance)\}?/g, ".*");
}
