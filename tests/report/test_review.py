"""`readiness report`: the single-file launch review, rendered by Allure 3 and read back in headless Chromium."""

from __future__ import annotations

import base64
import fcntl
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import isolated_environment
from readiness import review
from readiness.review import ReviewError, build_review, external_references

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NO_CHROMIUM = "Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
NO_GO_PROFILE = "single-az-public-subnets"  # fails INF-01, a blocker
UNVERIFIABLE_PROFILE = "deny-describe-subnets"  # makes INF-01 and INF-02 unverifiable

# A URL in an attribute that loads or links something, in CSS url() or in @import.
REFERENCE = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?|@import\s+["'])\s*((?:https?:)?//[^\s"'()<>]+)""",
                       re.IGNORECASE)
LOADING_ELEMENT = re.compile(r"""<(script|link|img|iframe|frame|embed|object|source|audio|video|track)\b[^>]*?"""
                             r"""\b(?:src|href|data)\s*=\s*["']?((?:https?:)?//[^\s"'>]+)""", re.IGNORECASE)


def run_suite(reports_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `pytest -m dryrun` from the repository root as a user would."""
    # `--reports-dir=DIR` in one word: pytest takes a separate existing folder argument as a test path.
    command = [sys.executable, "-m", "pytest", "-m", "dryrun", f"--reports-dir={reports_dir}", "-q", *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=isolated_environment(), capture_output=True, text=True,
                          timeout=600, check=False)


def run_report(*args: str) -> subprocess.CompletedProcess:
    """Run the `readiness` command line in a subprocess."""
    command = [sys.executable, "-c", "import sys; from readiness.cli import main; sys.exit(main())", *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=isolated_environment(), capture_output=True, text=True,
                          timeout=300, check=False)


def dump_dom(page: Path, fragment: str = "") -> str:
    """Return the DOM of a page after Chromium ran its scripts, with every host name unresolvable."""
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return _dump_dom(page, fragment, profile)


def _dump_dom(page: Path, fragment: str, profile: str) -> str:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1400,1500", "--virtual-time-budget=8000",
        "--dump-dom", page.as_uri() + fragment,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def text_of(markup: str) -> str:
    """Return the visible text of HTML markup, whitespace collapsed."""
    without_code = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.DOTALL | re.IGNORECASE)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", without_code)).split())


def verdict_card(dom: str) -> str:
    match = re.search(r'<section id="launch-verdict".*?</section>', dom, re.DOTALL)
    assert match, "the page has no verdict card"
    return match.group(0)


def allure_app(dom: str) -> str:
    return dom[dom.index('<div id="app"'):]


def embedded_files(page_html: str) -> dict[str, bytes]:
    """Return the data files that Allure's single-file page embeds as base64, by name."""
    return {name: base64.b64decode(value) for name, value in re.findall(r'd\("([^"]+)","([^"]*)"\)', page_html)}


def criterion_result(page_html: str, criterion_id: str) -> dict:
    """Return the embedded Allure test result of one criterion."""
    for name, content in embedded_files(page_html).items():
        if name.startswith("data/test-results/"):
            result = json.loads(content)
            if {"name": "criterion", "value": criterion_id} in result["labels"]:
                return result
    raise AssertionError(f"the report embeds no test result labelled criterion {criterion_id}")


@contextmanager
def exclusive(lock_path: Path):
    """Hold an exclusive lock on a file, so that xdist workers build a shared fixture once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@dataclass
class ReviewRuns:
    """Two suite runs into one reports folder, each followed by `readiness report`."""

    reports_dir: Path
    first_review: Path
    first_document: dict
    second_document: dict

    @property
    def review(self) -> Path:
        return self.reports_dir / "launch-review.html"


@pytest.fixture(scope="session")
def review_runs(tmp_path_factory, worker_id) -> ReviewRuns:
    # Under xdist the workers share one build: each suite run takes seconds.
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker_id != "master" else base) / "launch-review"
    with exclusive(shared.with_suffix(".lock")):
        state = shared / "runs.json"
        if not state.exists():
            build_review_runs(shared, state)
    saved = json.loads(state.read_text())
    return ReviewRuns(reports_dir=Path(saved["reports_dir"]), first_review=Path(saved["first_review"]),
                      first_document=saved["first_document"], second_document=saved["second_document"])


def build_review_runs(shared: Path, state: Path) -> None:
    reports = shared / "reports"

    first = run_suite(reports)
    assert first.returncode in (0, 1), first.stdout[-3000:] + first.stderr[-3000:]
    first_document = json.loads((reports / "launch-readiness.json").read_text())
    report = run_report("report", "--reports-dir", str(reports))
    assert report.returncode == 0, report.stderr
    first_review = shared / "first-review.html"
    shutil.copy(reports / "launch-review.html", first_review)

    second = run_suite(reports, "--twin-profile", NO_GO_PROFILE)
    assert second.returncode == 1, second.stdout[-3000:] + second.stderr[-3000:]
    second_document = json.loads((reports / "launch-readiness.json").read_text())
    report = run_report("report", "--reports-dir", str(reports))
    assert report.returncode == 0, report.stderr

    state.write_text(json.dumps({
        "reports_dir": str(reports), "first_review": str(first_review), "first_document": first_document,
        "second_document": second_document,
    }))


@pytest.fixture(scope="session")
def review_dom(review_runs) -> str:
    return dump_dom(review_runs.review)


# Rendered in a browser ---------------------------------------------------------------------------

@pytest.mark.slow
def test_no_go_run_shows_verdict_first(review_runs, review_dom):
    document = review_runs.second_document
    card = verdict_card(review_dom)
    card_text = text_of(card)

    assert document["verdict"] == "NO-GO"
    assert 'data-verdict="NO-GO"' in card
    assert "hidden" not in card[:card.index(">")]
    assert card_text.startswith("NO-GO Launch readiness")
    assert f"{document['pass_pct']:g} % of {document['total']} criteria passed" in card_text
    assert f"GO threshold {document['go_threshold']:g} %" in card_text
    assert review_dom.index('id="launch-verdict"') < review_dom.index('id="app"')


@pytest.mark.slow
def test_no_go_run_names_failed_blocker(review_runs, review_dom):
    card = verdict_card(review_dom)
    inf_01 = next(item for item in review_runs.second_document["criteria"] if item["id"] == "INF-01")

    assert "INF-01 failed" in text_of(card)
    assert 'data-criterion="INF-01"' in card
    row = re.search(r'<tr data-criterion="INF-01">.*?</tr>', card, re.DOTALL).group(0)
    assert inf_01["message"] in text_of(row)
    assert "aws_subnet" in text_of(row)
    assert "blocker criteria not passed: INF-01" in text_of(card)


@pytest.mark.slow
def test_card_shows_run_facts(review_runs, review_dom):
    run = review_runs.second_document["run"]
    card_text = text_of(verdict_card(review_dom))

    assert f"Target {run['target']}" in card_text
    assert f"Account {run['account']}" in card_text
    assert f"Regions {run['region']} / backup {run['backup_region']}" in card_text
    assert f"Commit {run['commit']}" in card_text
    assert f"Drift profiles {NO_GO_PROFILE}" in card_text


@pytest.mark.slow
def test_allure_renders_offline_with_verdict_name(review_runs, review_dom):
    document = review_runs.second_document
    app_text = text_of(allure_app(review_dom))

    assert f"Launch readiness: NO-GO ({document['pass_pct']:g} %) · run {document['run']['run_id']}" in app_text
    assert "Launch checklist" in app_text  # the tree's first level is the epic


@pytest.mark.slow
def test_recovery_chart_is_drawn(review_runs, review_dom):
    card = verdict_card(review_dom)
    objectives = review_runs.second_document["recovery_objectives"]

    assert "Recovery times against their objectives" in text_of(card)
    if objectives:
        assert card.count('class="lr-objective"') == len(objectives)
    else:
        assert "No recovery time was measured in this run" in text_of(card)


@pytest.mark.slow
def test_card_hidden_on_test_page(review_runs):
    result = criterion_result(review_runs.review.read_text(encoding="utf-8"), "INF-01")

    dom = dump_dom(review_runs.review, f"#/{result['id']}")

    card = verdict_card(dom)
    assert "hidden" in card[:card.index(">")]
    assert result["fullName"] in text_of(allure_app(dom))


@pytest.mark.slow
def test_first_report_shows_its_own_verdict(review_runs):
    document = review_runs.first_document
    card = verdict_card(dump_dom(review_runs.first_review))

    assert f'data-verdict="{document["verdict"]}"' in card
    assert f"{document['pass_pct']:g} % of" in text_of(card)


@pytest.mark.slow
def test_failed_test_page_shows_remediation(review_runs):
    page = review_runs.review
    result = criterion_result(page.read_text(encoding="utf-8"), "INF-01")
    remediation = next(item["remediation"] for item in review_runs.second_document["criteria"] if item["id"] == "INF-01")

    test_page = dump_dom(page, f"#/{result['id']}")

    # Allure shows the description in an iframe whose document is the srcdoc attribute.
    frame = re.search(r'<iframe data-testid="test-result-description-frame"[^>]*\bsrcdoc="([^"]*)"', test_page)
    assert frame, "the test page shows no description"
    description = text_of(html.unescape(frame.group(1)))
    assert "Remediation:" in description
    assert remediation.replace("`", "")[:60] in description


# History -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_history_file_holds_both_runs(review_runs):
    lines = (review_runs.reports_dir / "history.jsonl").read_text().splitlines()
    names = [json.loads(line)["name"] for line in lines]

    assert len(names) == 2
    assert names[0].endswith(f"run {review_runs.first_document['run']['run_id']}")
    assert names[1].endswith(f"run {review_runs.second_document['run']['run_id']}")


@pytest.mark.slow
def test_trend_chart_shows_both_runs(review_runs, review_dom):
    card = verdict_card(review_dom)
    first, second = review_runs.first_document, review_runs.second_document

    runs = re.findall(r'<circle class="lr-run"[^>]*><title>(.*?)</title>', card)
    assert len(runs) == 2
    assert html.unescape(runs[0]).startswith(f"Launch readiness: {first['verdict']} ({first['pass_pct']:g} %)")
    assert html.unescape(runs[1]) == f"this run: NO-GO ({second['pass_pct']:g} %)"


@pytest.mark.slow
def test_test_history_includes_first_run(review_runs):
    result = criterion_result(review_runs.review.read_text(encoding="utf-8"), "INF-01")
    first_result = criterion_result(review_runs.first_review.read_text(encoding="utf-8"), "INF-01")

    assert result["status"] == "failed"
    assert len(result["history"]) == 1
    assert result["history"][0]["status"] == first_result["status"]
    assert result["history"][0]["start"] == first_result["start"]


@pytest.mark.slow
def test_rerender_keeps_one_entry_per_run(review_runs, tmp_path):
    history = tmp_path / "history.jsonl"
    shutil.copy(review_runs.reports_dir / "history.jsonl", history)

    completed = run_report("report", "--reports-dir", str(review_runs.reports_dir), "--history", str(history),
                           "--output", str(tmp_path / "again.html"))

    assert completed.returncode == 0, completed.stderr
    assert "is already in" in completed.stderr
    assert len(history.read_text().splitlines()) == 2


# Offline -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_file_references_no_other_host(review_runs):
    page = review_runs.review.read_text(encoding="utf-8")

    assert REFERENCE.findall(page) == []
    assert "googletagmanager" not in page
    assert "gtag(" not in page
    assert external_references(page) == []


@pytest.mark.slow
def test_rendered_page_loads_nothing_from_other_hosts(review_dom):
    assert LOADING_ELEMENT.findall(review_dom) == []
    assert "googletagmanager" not in review_dom


# Categories --------------------------------------------------------------------------------------

@pytest.mark.slow
def test_unverifiable_has_own_category(tmp_path):
    reports = tmp_path / "reports"
    suite = run_suite(reports, "--twin-profile", UNVERIFIABLE_PROFILE)
    assert suite.returncode == 1, suite.stdout[-3000:]
    report = run_report("report", "--reports-dir", str(reports))
    assert report.returncode == 0, report.stderr

    categories = json.loads(embedded_files((reports / "launch-review.html").read_text())["widgets/categories.json"])
    names = {categories["nodes"][root]["name"]: categories["nodes"][root] for root in categories["roots"]}
    unverifiable = json.loads((reports / "launch-readiness.json").read_text())["counts"]["unverifiable"]

    assert "Unverifiable" in names
    assert names["Unverifiable"]["statistic"]["total"] == unverifiable
    assert names["Unverifiable"]["statistic"]["broken"] == unverifiable


# Command line and inputs -------------------------------------------------------------------------

def test_external_references_finds_loads_and_links():
    page = """<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>
    <link rel="stylesheet" href="//cdn.example.com/a.css"><style>body { background: url('http://img.example.com/x.png') }</style>
    <style>@import "https://fonts.example.com/font.css";</style><a href="https://docs.aws.amazon.com/vpc/">docs</a>"""

    found = external_references(page)

    assert "https://www.googletagmanager.com/gtag/js?id=G-1" in found
    assert "//cdn.example.com/a.css" in found
    assert "http://img.example.com/x.png" in found
    assert "https://fonts.example.com/font.css" in found
    assert "https://docs.aws.amazon.com/vpc/" in found
    assert "googletagmanager.com" in found


def test_external_references_allows_namespaces_and_inline_data():
    page = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><circle r="1"/></svg>
    <script src="data:text/javascript;base64,AAAA"></script><link href="data:text/css;base64,AAAA">
    <a href="#/categories">categories</a><img src="favicon.svg"><p>see http://example.com in the text</p>"""

    assert external_references(page) == []


def write_results(folder: Path, run_id: str) -> None:
    folder.mkdir(parents=True)
    (folder / "0-result.json").write_text(json.dumps({"name": "test_x", "status": "passed", "uuid": "0"}))
    (folder / "environment.properties").write_text(f"Run.id={run_id}\n")


def write_verdict(path: Path, run_id: str) -> None:
    path.write_text(json.dumps({
        "verdict": "GO", "pass_pct": 100.0, "go_threshold": 90.0, "total": 1,
        "counts": {"passed": 1, "failed": 0, "unverifiable": 0, "skipped": 0, "not run": 0}, "blocking": [], "reasons": [],
        "run": {"run_id": run_id, "target": "twin"}, "criteria": [], "recovery_objectives": [],
    }))


def test_cli_missing_reports_is_one_line_exit_2(tmp_path):
    completed = run_report("report", "--reports-dir", str(tmp_path / "nothing"))

    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("readiness report: error: verdict file ")
    assert "run `pytest -m dryrun` first" in completed.stderr


def test_cli_unknown_option_is_one_line_exit_2():
    completed = run_report("report", "--colour")

    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert "unrecognized arguments: --colour" in completed.stderr


def test_missing_allure_says_run_npm_ci(tmp_path, monkeypatch):
    write_results(tmp_path / "allure-results", "run1")
    write_verdict(tmp_path / "launch-readiness.json", "run1")
    monkeypatch.setattr(review, "ALLURE_BIN", tmp_path / "node_modules" / ".bin" / "allure")

    with pytest.raises(ReviewError, match=r"Allure 3 is not installed .* run `npm ci` in "):
        build_review(tmp_path / "allure-results", tmp_path / "launch-readiness.json", tmp_path / "out.html",
                     tmp_path / "history.jsonl")


def test_results_of_another_run_are_rejected(tmp_path):
    write_results(tmp_path / "allure-results", "run1")
    write_verdict(tmp_path / "launch-readiness.json", "run2")

    with pytest.raises(ReviewError, match="are from run run1 but the verdict file is from run run2"):
        build_review(tmp_path / "allure-results", tmp_path / "launch-readiness.json", tmp_path / "out.html",
                     tmp_path / "history.jsonl")


def test_verdict_file_without_verdict_is_rejected(tmp_path):
    write_results(tmp_path / "allure-results", "run1")
    (tmp_path / "launch-readiness.json").write_text(json.dumps({"criteria": []}))

    with pytest.raises(ReviewError, match="has no verdict, pass_pct"):
        build_review(tmp_path / "allure-results", tmp_path / "launch-readiness.json", tmp_path / "out.html",
                     tmp_path / "history.jsonl")


def test_plugin_failure_is_reported(tmp_path, monkeypatch):
    write_results(tmp_path / "allure-results", "run1")
    write_verdict(tmp_path / "launch-readiness.json", "run1")
    # A copy of the project's config whose verdict plugin looks for a page that Allure never writes.
    config = review.ALLURE_CONFIG.read_text(encoding="utf-8")
    config = config.replace('reportPluginId: "awesome"', 'reportPluginId: "missing"')
    config = config.replace('"./plugin-verdict/', f'"{review.ALLURE_CONFIG.parent.as_uri()}/plugin-verdict/')
    (tmp_path / "allurerc.mjs").write_text(config, encoding="utf-8")
    monkeypatch.setattr(review, "ALLURE_CONFIG", tmp_path / "allurerc.mjs")

    with pytest.raises(ReviewError, match="allure generate reported plugin verdict error .*missing/index.html"):
        build_review(tmp_path / "allure-results", tmp_path / "launch-readiness.json", tmp_path / "out.html",
                     tmp_path / "history.jsonl")

    assert not (tmp_path / "out.html").exists()


def test_synthetic_run_renders_card(tmp_path):
    write_results(tmp_path / "allure-results", "run1")
    write_verdict(tmp_path / "launch-readiness.json", "run1")

    written = build_review(tmp_path / "allure-results", tmp_path / "launch-readiness.json", tmp_path / "out.html",
                           tmp_path / "history.jsonl")

    page = written.path.read_text(encoding="utf-8")
    assert written.verdict == "GO"
    assert written.history_appended
    assert 'data-verdict="GO"' in page
    assert external_references(page) == []
    assert len((tmp_path / "history.jsonl").read_text().splitlines()) == 1
