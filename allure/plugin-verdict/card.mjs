// The verdict card: the HTML block that the verdict plugin puts above Allure's own page.
import { passTrendChart, recoveryChart } from "./charts.mjs";
import { formatPercent, openCriteria } from "./document.mjs";
import { escapeHtml, withCode } from "./html.mjs";

// Scoped to #launch-verdict so that Allure's styles and these never affect each other.
const STYLE = `
#launch-verdict { --lr-go: #1a7f37; --lr-nogo: #cf222e; --lr-ink: #1f2328; --lr-muted: #57606a; --lr-line: #d0d7de;
  box-sizing: border-box; max-width: 1180px; margin: 16px auto; padding: 20px 24px; background: #fff; color: var(--lr-ink);
  border: 1px solid var(--lr-line); border-top: 6px solid var(--lr-state); border-radius: 8px;
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
#launch-verdict[hidden] { display: none; }
#launch-verdict.lr-go { --lr-state: var(--lr-go); }
#launch-verdict.lr-nogo { --lr-state: var(--lr-nogo); }
#launch-verdict * { box-sizing: border-box; }
#launch-verdict h1 { font-size: 20px; margin: 0 0 4px; }
#launch-verdict h2 { font-size: 15px; margin: 18px 0 6px; }
#launch-verdict code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 0 3px; border-radius: 3px; }
#launch-verdict .lr-head { display: grid; grid-template-columns: auto 1fr auto; gap: 24px; align-items: start; }
#launch-verdict .lr-badge { font-size: 34px; font-weight: 700; letter-spacing: 1px; color: #fff; background: var(--lr-state);
  border-radius: 8px; padding: 14px 22px; white-space: nowrap; }
#launch-verdict .lr-score { font-size: 16px; margin: 0 0 8px; }
#launch-verdict .lr-score strong { font-size: 22px; }
#launch-verdict .lr-meter { position: relative; height: 12px; max-width: 460px; background: #eaeef2; border-radius: 6px; }
#launch-verdict .lr-meter-fill { height: 12px; border-radius: 6px; background: var(--lr-state); }
#launch-verdict .lr-meter-threshold { position: absolute; top: -4px; width: 2px; height: 20px; background: var(--lr-ink); }
#launch-verdict .lr-counts { color: var(--lr-muted); margin: 8px 0 0; }
#launch-verdict dl { display: grid; grid-template-columns: auto auto; gap: 2px 12px; margin: 0; font-size: 13px; }
#launch-verdict dt { color: var(--lr-muted); }
#launch-verdict dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
#launch-verdict ul { margin: 0; padding-left: 20px; }
#launch-verdict .lr-blocker { color: var(--lr-nogo); font-weight: 600; }
#launch-verdict .lr-charts { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 24px; }
#launch-verdict figure { margin: 0; }
#launch-verdict figcaption { font-weight: 600; margin: 18px 0 6px; font-size: 15px; }
#launch-verdict .lr-chart { max-width: 100%; height: auto; }
#launch-verdict .lr-legend, #launch-verdict .lr-empty, #launch-verdict .lr-note { color: var(--lr-muted); font-size: 12px; margin: 4px 0 0; }
#launch-verdict .lr-key { display: inline-block; width: 12px; height: 10px; margin: 0 3px 0 10px; vertical-align: middle; }
#launch-verdict .lr-key-pass { background: var(--lr-go); }
#launch-verdict .lr-key-fail { background: var(--lr-nogo); }
#launch-verdict .lr-key-target { width: 2px; height: 14px; background: var(--lr-ink); }
#launch-verdict details { margin-top: 18px; }
#launch-verdict summary { font-weight: 600; font-size: 15px; cursor: pointer; }
#launch-verdict table { width: 100%; border-collapse: collapse; margin-top: 8px; font-size: 13px; }
#launch-verdict th, #launch-verdict td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--lr-line); }
#launch-verdict th { color: var(--lr-muted); font-weight: 600; }
#launch-verdict td.lr-id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; white-space: nowrap; }
`;

const runFacts = (run) => {
  const facts = [
    ["Target", run.target],
    ["Account", run.account ?? "unknown"],
    ["Regions", `${run.region ?? "unknown"} / backup ${run.backup_region ?? "unknown"}`],
    ["Commit", run.commit ?? "unknown"],
    ["Run", run.run_id],
    ["Finished", run.finished ?? "unknown"],
  ];
  if (run.twin_profiles?.length) {
    facts.push(["Drift profiles", run.twin_profiles.join(", ")]);
  }
  return `<dl class="lr-run">${facts.map(([name, value]) => `<dt>${name}</dt><dd>${escapeHtml(value)}</dd>`).join("")}</dl>`;
};

const reasons = (document) => {
  if (document.reasons.length === 0) {
    return `<h2>Why GO</h2><p>${formatPercent(document.pass_pct)} reaches the threshold of ${formatPercent(document.go_threshold)}, every blocker passed and no recovery objective was breached.</p>`;
  }
  return `<h2>Why NO-GO</h2><ul class="lr-reasons">${document.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join("")}</ul>`;
};

const blockers = (document) => {
  const byId = new Map(document.criteria.map((criterion) => [criterion.id, criterion]));
  if (document.blocking.length === 0) {
    return "<h2>Blockers not passed</h2><p>None: no blocker criterion failed or was unverifiable.</p>";
  }
  const items = document.blocking.map((id) => {
    const criterion = byId.get(id);
    return `<li><span class="lr-blocker">${escapeHtml(id)} ${escapeHtml(criterion?.outcome ?? "")}</span>: ${escapeHtml(criterion?.title ?? "")}</li>`;
  });
  return `<h2>Blockers not passed (${document.blocking.length})</h2><ul>${items.join("")}</ul>`;
};

const openTable = (document) => {
  const open = openCriteria(document);
  if (open.length === 0) {
    return "<h2>Failed and unverifiable criteria</h2><p>None.</p>";
  }
  const rows = open.map((criterion) => `
    <tr data-criterion="${escapeHtml(criterion.id)}">
      <td class="lr-id">${escapeHtml(criterion.id)}</td>
      <td>${escapeHtml(criterion.severity)}<br>${escapeHtml(criterion.category)}</td>
      <td>${escapeHtml(criterion.outcome)}</td>
      <td>${escapeHtml(criterion.message)}</td>
      <td>${withCode(criterion.remediation)}</td>
    </tr>`);
  return `<details class="lr-open" open>
    <summary>Failed and unverifiable criteria (${open.length})</summary>
    <table>
      <thead><tr><th>Criterion</th><th>Severity, category</th><th>Outcome</th><th>Observed</th><th>Remediation</th></tr></thead>
      <tbody>${rows.join("")}</tbody>
    </table>
  </details>`;
};

/** Render the card: verdict, score against the threshold, run facts, blockers, charts and open criteria. */
export const renderCard = (document, trendPoints) => {
  const go = document.verdict === "GO";
  const counts = document.counts;
  const countLine = ["passed", "failed", "unverifiable", "skipped", "not run"]
    .map((outcome) => `${counts[outcome] ?? 0} ${outcome}`)
    .join(" · ");

  return `<style>${STYLE}</style>
<section id="launch-verdict" class="${go ? "lr-go" : "lr-nogo"}" data-verdict="${escapeHtml(document.verdict)}">
  <div class="lr-head">
    <div class="lr-badge">${escapeHtml(document.verdict)}</div>
    <div>
      <h1>Launch readiness</h1>
      <p class="lr-score"><strong>${formatPercent(document.pass_pct)}</strong> of ${document.total} criteria passed · GO threshold ${formatPercent(document.go_threshold)}</p>
      <div class="lr-meter" title="pass percentage against the GO threshold">
        <div class="lr-meter-fill" style="width: ${Math.min(document.pass_pct, 100)}%"></div>
        <div class="lr-meter-threshold" style="left: ${Math.min(document.go_threshold, 100)}%"></div>
      </div>
      <p class="lr-counts">${countLine}</p>
    </div>
    ${runFacts(document.run)}
  </div>
  ${reasons(document)}
  ${blockers(document)}
  <div class="lr-charts">
    <figure>
      <figcaption>Recovery times against their objectives</figcaption>
      ${recoveryChart(document.recovery_objectives)}
    </figure>
    <figure>
      <figcaption>Pass percentage per run</figcaption>
      ${passTrendChart(trendPoints, document.go_threshold)}
      ${trendPoints.length === 1 ? '<p class="lr-note">This is the first run in the history file; the trend grows with each report.</p>' : ""}
    </figure>
  </div>
  ${openTable(document)}
  <p class="lr-note">Below, Allure lists every test grouped by epic, category and severity; a failed test's description holds its remediation and its message names the offending resources. The Categories section separates unverifiable criteria from failed ones.</p>
</section>
<script>
  // Allure routes with the URL fragment. The card belongs to the first page, and on a test's page it
  // would push the content Allure just opened below the fold.
  (function () {
    var card = document.getElementById("launch-verdict");
    function showOnFirstPage() {
      var route = window.location.hash.replace(/^#/, "").split("?")[0];
      card.hidden = route !== "" && route !== "/";
    }
    window.addEventListener("hashchange", showOnFirstPage);
    showOnFirstPage();
  })();
</script>
`;
};
