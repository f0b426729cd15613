// Reads the suite's launch-readiness.json and derives the values the report shows from it.
import { readFileSync } from "node:fs";

// readiness/review.py checks the same keys before it starts Allure.
const REQUIRED_KEYS = [
  "verdict", "pass_pct", "go_threshold", "total", "counts", "blocking", "reasons", "run", "criteria", "recovery_objectives",
];

/** Read and check the verdict document that `pytest -m dryrun` writes at the end of a run. */
export const readDocument = (path) => {
  const document = JSON.parse(readFileSync(path, "utf-8"));
  const missing = REQUIRED_KEYS.filter((key) => !(key in document));
  if (missing.length > 0) {
    throw new Error(`${path} is not a launch-readiness verdict: keys ${missing.join(", ")} are missing`);
  }
  return document;
};

/** Format a percentage as the suite prints it: 90 not 90.0, 97.9 as is. */
export const formatPercent = (value) => `${Number(value.toFixed(1))} %`;

/** The report's title; Allure stores it with each history entry, so it also names past runs. */
export const reportName = (document) =>
  `Launch readiness: ${document.verdict} (${formatPercent(document.pass_pct)}) · run ${document.run.run_id}`;

const RUN_ID_IN_NAME = /· run (\S+)$/;
const VERDICT_IN_NAME = /^Launch readiness: (GO|NO-GO) /;

/** Return the run id and verdict that reportName() put into a history entry's name, or nulls. */
export const parseReportName = (name) => ({
  runId: RUN_ID_IN_NAME.exec(name ?? "")?.[1] ?? null,
  verdict: VERDICT_IN_NAME.exec(name ?? "")?.[1] ?? null,
});

/** Return the criteria a reader must act on: failed and unverifiable, blockers first. */
export const openCriteria = (document) => {
  const severityRank = { blocker: 0, major: 1, minor: 2 };
  return document.criteria
    .filter((criterion) => criterion.outcome === "failed" || criterion.outcome === "unverifiable")
    .sort((left, right) => (severityRank[left.severity] ?? 3) - (severityRank[right.severity] ?? 3));
};
