// Allure 3 report plugin: puts the launch verdict card on the first page and keeps the page offline.
//
// Options: verdictFile is the suite's launch-readiness.json. reportPluginId is the id of the
// single-file awesome plugin whose page this plugin edits, so that plugin must be listed first.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { renderCard } from "./card.mjs";
import { formatPercent, parseReportName, readDocument } from "./document.mjs";

const TREND_RUNS = 30;
const APP_ROOT = '<div id="app"></div>';

// Allure 3.18 hard-codes a Google Tag Manager loader and its gtag() call into every awesome page.
const EXTERNAL_SCRIPT = /<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?\/\/[^>]*>\s*<\/script>/gi;
const ANALYTICS_SCRIPT = /<script>[^<]*\b(?:gtag|dataLayer)\b[^<]*<\/script>/g;

/** Remove every script that loads from another host, and the inline analytics call. */
export const stripExternalScripts = (html) => html.replace(EXTERNAL_SCRIPT, "").replace(ANALYTICS_SCRIPT, "");

const metricSamples = (document) => {
  const time = Date.parse(document.run.finished ?? "") || Date.now();
  let count = 0;
  const sample = (key, value, extra = {}) => {
    count += 1;
    return { id: `readiness-${count}-${key}`, key, value, start: time, stop: time, ...extra };
  };
  const samples = [
    sample("pass_pct", document.pass_pct),
    sample("open_blockers", document.blocking.length),
  ];
  for (const objective of document.recovery_objectives) {
    if (objective.measured_s === null || objective.measured_s === undefined) {
      continue;
    }
    const key = `${objective.component}_${objective.objective}`.toLowerCase().replace(/[^a-z0-9]+/g, "_");
    samples.push(sample(key, objective.measured_s, {
      title: `${objective.component} ${objective.objective} (target ${objective.target_s} s)`,
      unit: "s",
      better: "lower",
      group: "recovery",
      groupTitle: "Recovery objectives",
    }));
  }
  return samples;
};

const trendPoints = async (store, document) => {
  // A re-render of the same run can already be in the history; it counts once, as this run.
  const history = (await store.allHistoryDataPoints())
    .filter((point) => Number.isFinite(point.metrics?.pass_pct))
    .filter((point) => parseReportName(point.name).runId !== document.run.run_id)
    .sort((left, right) => left.timestamp - right.timestamp)
    .slice(-(TREND_RUNS - 1));

  const points = history.map((point) => ({
    label: `${point.name}, ${new Date(point.timestamp).toISOString().slice(0, 16).replace("T", " ")} UTC`,
    passPct: point.metrics.pass_pct,
    verdict: parseReportName(point.name).verdict,
  }));
  points.push({
    label: `this run: ${document.verdict} (${formatPercent(document.pass_pct)})`,
    passPct: document.pass_pct,
    verdict: document.verdict,
  });
  return points;
};

export default class VerdictPlugin {
  constructor(options = {}) {
    if (!options.verdictFile) {
      throw new Error("the verdict plugin needs the verdictFile option: the path of launch-readiness.json");
    }
    this.options = { reportPluginId: "awesome", ...options };
  }

  async start(_context, store) {
    this.document = readDocument(this.options.verdictFile);
    // Metrics land in Allure's history entry for this run, so later reports can draw the trend.
    await store.visitMetrics(metricSamples(this.document), { readerId: "launch-readiness-verdict" });
  }

  async done(context, store) {
    const pagePath = join(context.output, this.options.reportPluginId, "index.html");
    const page = await readFile(pagePath, "utf-8");
    if (!page.includes(APP_ROOT)) {
      throw new Error(`${pagePath} has no ${APP_ROOT}; the verdict card needs the single-file awesome page`);
    }

    const card = renderCard(this.document, await trendPoints(store, this.document));
    const edited = stripExternalScripts(page).replace(APP_ROOT, () => `${card}\n${APP_ROOT}`);
    await writeFile(pagePath, edited, "utf-8");
  }
}
