// Inline SVG charts of the verdict card: recovery times against their objectives, pass percentage per run.
import { escapeHtml } from "./html.mjs";

const COLORS = { pass: "#1a7f37", fail: "#cf222e", unknown: "#8c959f", track: "#eaeef2", ink: "#1f2328", muted: "#57606a" };

const SOURCE_CHARACTERS = 34;

/** Format seconds as the suite does: one decimal at most, unit s. */
export const formatSeconds = (value) => `${Number(Number(value).toFixed(1))} s`;

/**
 * Draw one bullet row per recovery measurement: a bar for the measured time and a marker at the target.
 *
 * Each row has its own scale because targets range from a minute to half an hour, and a shared
 * axis would shrink the short ones to a few pixels.
 */
export const recoveryChart = (objectives) => {
  if (objectives.length === 0) {
    return '<p class="lr-empty">No recovery time was measured in this run: no disaster-recovery drill or chaos experiment reported one.</p>';
  }

  const labelWidth = 200;
  const plotWidth = 360;
  const valueWidth = 170;
  const rowHeight = 40;
  const width = labelWidth + plotWidth + valueWidth;
  const height = objectives.length * rowHeight + 6;

  const rows = objectives.map((objective, index) => {
    const y = index * rowHeight + 4;
    const measured = objective.measured_s;
    const scaleMax = Math.max(objective.target_s, measured ?? 0, 1) * 1.25;
    const xOf = (seconds) => labelWidth + (seconds / scaleMax) * plotWidth;
    const breached = measured === null || measured === undefined || measured > objective.target_s;
    const label = `${objective.component} ${objective.objective}`;
    const result = measured === null || measured === undefined ? "not measured" : formatSeconds(measured);
    // The label column fits about 34 characters: show the test name of a node id, the full source in the tooltip.
    const fullSource = String(objective.source ?? "");
    const testName = fullSource.split("::").pop();
    const source = testName.length > SOURCE_CHARACTERS ? `${testName.slice(0, SOURCE_CHARACTERS - 1)}…` : testName;

    const bar = measured === null || measured === undefined
      ? `<rect x="${labelWidth}" y="${y + 9}" width="${plotWidth}" height="14" fill="none" stroke="${COLORS.fail}" stroke-dasharray="4 3"/>`
      : `<rect class="lr-measured" x="${labelWidth}" y="${y + 9}" width="${(xOf(measured) - labelWidth).toFixed(1)}" height="14" rx="2" fill="${breached ? COLORS.fail : COLORS.pass}"/>`;

    return `<g class="lr-objective" data-breached="${breached}">
      <title>${escapeHtml(label)}: ${escapeHtml(result)} against a target of ${formatSeconds(objective.target_s)} (${escapeHtml(fullSource)})</title>
      <text x="0" y="${y + 15}" font-size="13" fill="${COLORS.ink}">${escapeHtml(label)}</text>
      <text x="0" y="${y + 30}" font-size="11" fill="${COLORS.muted}">${escapeHtml(source)}</text>
      <rect x="${labelWidth}" y="${y + 9}" width="${plotWidth}" height="14" rx="2" fill="${COLORS.track}"/>
      ${bar}
      <line x1="${xOf(objective.target_s).toFixed(1)}" x2="${xOf(objective.target_s).toFixed(1)}" y1="${y + 3}" y2="${y + 29}" stroke="${COLORS.ink}" stroke-width="2"/>
      <text x="${labelWidth + plotWidth + 12}" y="${y + 21}" font-size="13" fill="${breached ? COLORS.fail : COLORS.ink}">${escapeHtml(result)} / ${formatSeconds(objective.target_s)}${breached ? " ✗" : " ✓"}</text>
    </g>`;
  });

  return `<svg class="lr-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Measured recovery times against their objectives">
    ${rows.join("\n")}
  </svg>
  <p class="lr-legend"><span class="lr-key lr-key-pass"></span> measured, within target <span class="lr-key lr-key-fail"></span> measured, over target or not measured <span class="lr-key lr-key-target"></span> target</p>`;
};

/**
 * Draw the pass percentage of each run in the history, oldest first, with the GO threshold.
 *
 * `points` are {label, passPct, verdict}. The verdict is "GO", "NO-GO", or null for a history
 * entry whose name has none.
 */
export const passTrendChart = (points, threshold) => {
  const width = 440;
  const height = 170;
  const left = 36;
  const right = 12;
  const top = 12;
  const bottom = 24;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  // The axis starts 10 points below the lowest run or the threshold, rounded down to a multiple of 10,
  // so that runs between 90 and 100 % do not sit on one line at the top.
  const lowest = Math.min(threshold, ...points.map((point) => point.passPct));
  const axisMin = Math.max(0, Math.floor((lowest - 10) / 10) * 10);
  const yOf = (percent) => top + plotHeight - ((percent - axisMin) / (100 - axisMin)) * plotHeight;
  const xOf = (index) => (points.length === 1 ? left + plotWidth / 2 : left + (index / (points.length - 1)) * plotWidth);

  const gridLines = [axisMin, (axisMin + 100) / 2, 100].map((percent) => `
    <line x1="${left}" x2="${width - right}" y1="${yOf(percent)}" y2="${yOf(percent)}" stroke="${COLORS.track}"/>
    <text x="${left - 6}" y="${yOf(percent) + 4}" font-size="11" text-anchor="end" fill="${COLORS.muted}">${percent}</text>`);
  const thresholdLine = `
    <line x1="${left}" x2="${width - right}" y1="${yOf(threshold)}" y2="${yOf(threshold)}" stroke="${COLORS.ink}" stroke-dasharray="5 4"/>
    <text x="${left + 4}" y="${yOf(threshold) + 14}" font-size="11" fill="${COLORS.ink}">GO threshold ${Number(threshold.toFixed(1))} %</text>`;
  const line = points.length > 1
    ? `<polyline fill="none" stroke="${COLORS.muted}" stroke-width="2" points="${points.map((point, index) => `${xOf(index).toFixed(1)},${yOf(point.passPct).toFixed(1)}`).join(" ")}"/>`
    : "";
  const dots = points.map((point, index) => {
    let color = COLORS.unknown;
    if (point.verdict === "GO") {
      color = COLORS.pass;
    } else if (point.verdict === "NO-GO") {
      color = COLORS.fail;
    }
    return `<circle class="lr-run" cx="${xOf(index).toFixed(1)}" cy="${yOf(point.passPct).toFixed(1)}" r="4.5" fill="${color}"><title>${escapeHtml(point.label)}</title></circle>`;
  });
  const last = points[points.length - 1];
  // Above the last point when the plot has room there, else below it. The threshold's label is at the
  // left end, away from this one.
  const lastLabelY = yOf(last.passPct) - top >= 16 ? yOf(last.passPct) - 9 : yOf(last.passPct) + 18;
  const lastLabel = `<text x="${xOf(points.length - 1).toFixed(1)}" y="${lastLabelY.toFixed(1)}" font-size="12" text-anchor="${points.length === 1 ? "middle" : "end"}" fill="${COLORS.ink}">${Number(last.passPct.toFixed(1))} %</text>`;

  return `<svg class="lr-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Pass percentage of the last ${points.length} runs">
    ${gridLines.join("")}
    ${thresholdLine}
    ${line}
    ${dots.join("")}
    ${lastLabel}
    <text x="${left}" y="${height - 6}" font-size="11" fill="${COLORS.muted}">oldest</text>
    <text x="${width - right}" y="${height - 6}" font-size="11" text-anchor="end" fill="${COLORS.muted}">this run</text>
  </svg>`;
};
