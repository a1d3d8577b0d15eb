/**
 * The HTML report in a real headless Chromium (Debian's): charts drawn, no
 * console error, no request, the hostile labels shown as text and no dialog;
 * a screenshot kept in test-artifacts/report.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml, scriptSafeJson } from "../../../src/report/render/html.js";
import { HOSTILE_FEATURE, HOSTILE_ROUTE } from "../dataset.js";
import { sampleReport } from "../sample-report.js";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("scriptSafeJson", () => {
  it("cannot close the script element and parses back", () => {
    const value = { label: "</script><script>alert(1)</script>&\u2028" };
    const text = scriptSafeJson(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("HTML report in headless Chromium", () => {
  let directory: string;
  let browser: Browser;
  let file: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), "td-report-html-"));
    file = join(directory, "report.html");
    writeFileSync(file, renderHtml(await sampleReport()));
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      // Playwright gives each launch a fresh temporary --user-data-dir.
      args: CHROMIUM_ARGS,
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (directory !== undefined)
      rmSync(directory, { recursive: true, force: true });
  });

  it("draws its charts offline, without errors, requests or dialogs", async () => {
    const page = await browser.newPage({
      viewport: { width: 1100, height: 900 },
    });
    const errors: string[] = [];
    const requests: string[] = [];
    let dialogs = 0;
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("dialog", (d) => {
      dialogs += 1;
      void d.dismiss();
    });
    const url = pathToFileURL(file).href;
    page.on("request", (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.route("**/*", (route) =>
      route.request().url() === url ? route.continue() : route.abort(),
    );

    await page.goto(url);
    await page.waitForSelector("html[data-rendered=true]");

    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((figure) => {
        const canvas = figure.querySelector("canvas");
        if (canvas === null) return { id: figure.dataset.chartId, inked: 0 };
        const { data } = canvas
          .getContext("2d")!
          .getImageData(0, 0, canvas.width, canvas.height);
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) inked++;
        return { id: figure.dataset.chartId, inked };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        "system.cpu_memory",
        "application.latency",
        "users.features",
      ]),
    );
    for (const chart of charts)
      expect(chart.inked, chart.id).toBeGreaterThan(500);

    await expect
      .poll(() => page.getByText(HOSTILE_ROUTE, { exact: true }).count())
      .toBeGreaterThan(0);
    expect(
      await page.getByText(HOSTILE_FEATURE, { exact: true }).count(),
    ).toBeGreaterThan(0);
    const scores = await page
      .locator("#section-users table", { hasText: "share" })
      .locator("tbody tr")
      .allTextContents();
    expect(scores).toEqual([
      "10 responses0.0%",
      "272 responses10.0%",
      "372 responses10.0%",
      "4288 responses40.0%",
      "5288 responses40.0%",
    ]);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(3);

    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({
      path: "test-artifacts/report.png",
      fullPage: true,
    });
    await page.close();

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toBe(0);
  });
});
