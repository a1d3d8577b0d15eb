/**
 * The report as one self-contained HTML page: uPlot's minified bundle and
 * styles inlined from node_modules, the laid-out report embedded as JSON,
 * and a script that builds the page with `textContent`. A Content Security
 * Policy allows only these inline scripts (by hash) and no request at all,
 * so the page opens offline and a hostile label stays text.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Report } from "../types.js";
import { CLIENT_SCRIPT } from "./html-client.js";
import { layoutReport } from "./layout.js";

const require = createRequire(import.meta.url);

let assets: { script: string; style: string } | undefined;

// Read once per process; a missing file means a broken install, so say which.
function chartAssets(): { script: string; style: string } {
  if (assets !== undefined) return assets;
  const read = (file: string) => {
    try {
      return readFileSync(require.resolve(`uplot/dist/${file}`), "utf8");
    } catch (cause) {
      throw new Error(
        `HTML report: cannot read uplot/dist/${file}; reinstall td-monitoring's dependencies`,
        { cause },
      );
    }
  };
  assets = { script: read("uPlot.iife.min.js"), style: read("uPlot.min.css") };
  return assets;
}

const PAGE_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
main { max-width: 1000px; margin: 0 auto; padding: 16px; }
h1 { margin: 8px 0; } h2 { border-bottom: 2px solid #e5e7eb; padding-bottom: 4px; margin-top: 32px; }
.meta { color: #4b5563; margin: 2px 0; }
nav { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
table { border-collapse: collapse; margin: 8px 0; background: #fff; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; white-space: pre-wrap; }
th { background: #f3f4f6; text-align: right; } th:first-child, td.label { text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #6b7280; font-style: italic; } .finding { border-left: 4px solid #f59e0b; padding-left: 8px; }
figure.chart { background: #fff; border: 1px solid #e5e7eb; margin: 12px 0; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
`;

/**
 * JSON made safe inside a `<script>` element: no `<`, `>` or `&` that could
 * close it or open a comment, and no line separators old parsers choke on.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** Renders the report as a self-contained HTML page. */
export function renderHtml(report: Report): string {
  const { script, style } = chartAssets();
  const policy = [
    "default-src 'none'",
    `script-src ${sha256(script)} ${sha256(CLIENT_SCRIPT)}`,
    "style-src 'unsafe-inline'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>td-monitoring report</title>
<style>${style}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main id="report"></main>
<script type="application/json" id="report-data">${scriptSafeJson(layoutReport(report))}</script>
<script>${script}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
