// Allure 3 configuration of the launch review; `readiness report` runs `allure generate` with it.
//
// Inputs come from the environment so that the same file serves every reports folder.
// READINESS_VERDICT_FILE is the suite's launch-readiness.json (default reports/launch-readiness.json).
// READINESS_HISTORY is Allure's history file, one JSON line per run (default reports/history.jsonl).
// READINESS_APPEND_HISTORY=0 leaves the history file unchanged, for a run that is already in it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { reportName } from "./plugin-verdict/document.mjs";

const verdictFile = resolve(process.env.READINESS_VERDICT_FILE ?? "reports/launch-readiness.json");
const historyPath = resolve(process.env.READINESS_HISTORY ?? "reports/history.jsonl");
const document = JSON.parse(readFileSync(verdictFile, "utf-8"));

// A plain object: importing defineConfig from the "allure" package would start its command line.
export default {
  name: reportName(document),
  historyPath,
  // Allure rewrites the file with the last 100 runs when it appends one.
  historyLimit: 100,
  appendHistory: process.env.READINESS_APPEND_HISTORY !== "0",
  // Allure 3 ignores categories.json in the results folder; these rules replace it.
  // A result takes the first category whose matcher fits.
  categories: {
    rules: [
      {
        name: "Unverifiable",
        matchers: { statuses: ["broken"], message: /Unverifiable/ },
        groupBy: ["severity", { label: "feature" }],
        expand: true,
      },
      {
        name: "Criterion not met",
        matchers: { statuses: ["failed"] },
        groupBy: ["severity", { label: "feature" }],
        expand: true,
      },
      { name: "Read-only guard blocked a change", matchers: { statuses: ["broken"], message: /ReadOnlyViolation/ } },
      { name: "Not safe to run", matchers: { statuses: ["skipped"] } },
      { name: "Suite error", matchers: { statuses: ["broken"] } },
    ],
  },
  // The verdict plugin records these per run; Allure keeps them in the history file and charts them.
  performance: {
    groups: {
      readiness: { title: "Launch readiness" },
      recovery: { title: "Recovery objectives" },
    },
    metrics: {
      pass_pct: { title: "Criteria passed", unit: "%", better: "higher", group: "readiness" },
      open_blockers: { title: "Blockers not passed", unit: "", better: "lower", group: "readiness" },
    },
  },
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        groupBy: ["epic", "feature", "severity"],
        theme: "light",
        reportLanguage: "en",
      },
    },
    // Listed after awesome: its done() edits the page awesome has just written.
    verdict: {
      import: fileURLToPath(new URL("./plugin-verdict/index.mjs", import.meta.url)),
      options: { verdictFile, reportPluginId: "awesome" },
    },
    // Allure adds its agent plugin unless the config names it; it writes files this report does not use.
    agent: { enabled: false },
  },
};
