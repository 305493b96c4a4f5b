"""The scorecard report: every claim, every figure beside the paper's statement, provenance;
the HTML is self-contained and renders in a real headless browser."""
import json
import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import flexrepro  # noqa: E402
from flexrepro import cli, paths, reference  # noqa: E402
from flexrepro.pipeline import report  # noqa: E402
from flexrepro.errors import FlexreproError  # noqa: E402
from flexrepro.pipeline.notebook import output_dir, save_figure, save_table  # noqa: E402


@pytest.fixture
def results(tmp_path, monkeypatch):
    """A results/ tree as the notebooks leave it, with two verdicts filled in."""
    res = tmp_path / "results"
    card = reference.claims()[["claim_id", "paper_item", "kind", "paper_value", "tolerance"]].assign(
        measured_value=None, ci_low=None, ci_high=None, verdict="not yet run", note="")
    card.loc[card.claim_id == "F5-max-gain", ["measured_value", "ci_low", "ci_high", "verdict"]] = \
        ["31.25", 29.5, 33.75, "reproduced"]
    card.loc[card.claim_id == "F7-1core-256", ["measured_value", "verdict", "note"]] = \
        ["12.5", "not reproduced", "client machine saturates first"]
    save_table(card, output_dir("scorecard", res), "scorecard")
    save_table(flexrepro.run("table3", progress=False, cache=False), output_dir("table3", res), "table3")
    for name, stem in [("fig05", "fig05_throughput"), ("fig05", "fig05_cpi"), ("table3", "cores")]:
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([1, 2, 3], [3, 1, 2])
        save_figure(fig, output_dir(name, res), stem)
        plt.close(fig)
    calib = tmp_path / "calibration"
    calib.mkdir()
    (calib / "params.json").write_text(json.dumps(
        {"profiles": {"memcached": {"base_cpi": 0.6125}}, "direct_cycles": 157, "source": "fit"}))
    monkeypatch.setattr(paths, "CALIBRATION", calib)
    # fig05 is not registered yet in this tree: say which paper item its directory shows
    names = report._item_names()
    monkeypatch.setattr(report, "_item_names", lambda: {**names, "fig05": ("Figure 5", "memcached throughput")})
    return res


def _claim_rows(md):
    table = md.split("## Claims")[1].split("##")[0]
    return [line.split(" | ") for line in table.strip().splitlines()[2:]]


def test_report_has_every_claim_with_a_reason_figure_links_and_an_appendix(results):
    md_path, html_path = report.write_report(results)
    md, page = md_path.read_text(), html_path.read_text()
    appendix = (results / "appendix.md").read_text()
    for cid in reference.claims().claim_id:
        assert cid in md and cid in page
    # the headline keeps calibration targets and predictions apart
    n_cal = int((reference.claims().kind == "calibration").sum())
    n_pred = len(reference.claims()) - n_cal
    assert f"**calibration 0/{n_cal} ({n_cal} not yet run), predictions 1/{n_pred} " in md
    rows = _claim_rows(md)
    assert len(rows) == len(reference.claims())
    assert all(r[-1].strip(" |") for r in rows)                      # a reason on every row
    by_id = {r[0].strip("| "): r for r in rows}
    assert by_id["F5-max-gain"][3:6] == ["31.25%", "[29.5%, 33.75%]", "reproduced"]
    assert "client machine saturates first" in by_id["F7-1core-256"][-1] and "misses 60..80" in by_id["F7-1core-256"][-1]
    assert by_id["F7-1core-256"][2:4] == ["70%", "12.5%"]
    assert "its experiment is not built yet" in by_id["F6-kernel-cpi"][-1]
    assert "client machine saturates first" in page and "misses 60..80" in page
    # figures: linked in Markdown, embedded in HTML, each beside the paper's statements
    pngs = sorted(results.glob("*/*.png"))
    assert len(pngs) == 3
    for p in pngs:
        assert f"]({p.relative_to(results).as_posix()})" in md
    assert page.count('src="data:image/png;base64,') == 3
    assert re.findall(r'src="(?!data:)', page) == [] and "<link" not in page
    fig5 = md.split("### Figure 5")[1].split("###")[0]
    for wording in reference.claims().query("paper_item == 'Figure 5'").paper_wording:
        assert wording in fig5
    assert "fig05/fig05_throughput.png" in fig5
    # platform, fitted parameters, provenance: in the appendix (and the HTML), not in REPORT.md
    t3 = pd.read_csv(results / "table3" / "table3.csv")
    assert "8192" in appendix and len(t3) > 5 and "8192" not in md
    assert "profiles.memcached.base_cpi" in appendix and "0.6125" in appendix and "157" in appendix
    assert "profiles.memcached.base_cpi" not in md and "pandas==" not in md
    assert re.search(rf"flexrepro version \| {re.escape(flexrepro.__version__)} \|", appendix)
    assert "root seed" in appendix and "pandas==" in appendix and "pyarrow==" in page
    assert "](appendix.md)" in md
    assert max(map(len, md.splitlines())) < 1000 and len(md.encode()) < 200_000


def test_borderline_claims_say_how_many_seeds_would_resolve_them(results):
    card = pd.read_csv(results / "scorecard" / "scorecard.csv", dtype={"measured_value": object})
    card.loc[card.claim_id == "F5-one-thread",
             ["measured_value", "ci_low", "ci_high", "verdict", "note", "seeds", "seeds_to_resolve"]] = \
        ["0.898", 0.894, 0.902, "borderline", "least-utilised core, 4 cores", 5, 20]
    save_table(card, results / "scorecard", "scorecard")
    md = report.write_report(results)[0].read_text()
    row = {r[0].strip("| "): r for r in _claim_rows(md)}["F5-one-thread"]
    assert row[5] == "borderline"
    assert "least-utilised core, 4 cores; 95% CI [0.894, 0.902] straddles 0.9 (paper: >= 0.9)" in row[-1]
    assert "about 20 seeds (now 5) would resolve it" in row[-1]
    assert "1 borderline" in md.split("\n")[2]


@pytest.mark.parametrize("value, text", [(20000.0, "20,000"), (35000, "35,000"), (0.8979999, "0.898"),
                                         (14.53, "14.53"), (113.27, "113.3"), (1e-5, "1.00e-05"), (3, "3")])
def test_numbers_read_as_people_write_them(value, text):
    assert report._fmt(value) == text


def test_report_without_scorecard_says_what_to_run(tmp_path):
    with pytest.raises(FlexreproError, match="scorecard.csv not found; run the scorecard notebook"):
        report.write_report(tmp_path)


def test_cli_report(results, capsys):
    assert cli.main(["report", "--out", str(results)]) == 0
    assert (results / "report.html").is_file() and "REPORT.md" in capsys.readouterr().out


# --- a real browser ----------------------------------------------------------------------

CHECK = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(
  e.target && e.target.tagName ? 'failed to load ' + e.target.tagName : String(e.message)), true);
window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.setAttribute('data-check', JSON.stringify({
    images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    errors: window.__errors, rows: document.getElementById('claims').nextElementSibling.querySelectorAll('tbody tr').length}));
});
</script>"""


def render(page_html, tmp_path, name):
    """Load a page in headless chromium; (the page's self-check, console error lines)."""
    page = tmp_path / f"{name}.html"
    page.write_text(page_html.replace("<head>", "<head>" + CHECK, 1))
    cmd = [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={tmp_path / (name + '-profile')}",
           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    m = re.search(r"data-check=\"([^\"]*)\"", out.stdout)
    assert m, f"no self-check in the DOM; chromium said: {out.stderr[-2000:]}"
    check = json.loads(m.group(1).replace("&quot;", '"'))
    console = [line for line in out.stderr.splitlines() if "CONSOLE" in line]
    return check, console


@pytest.mark.skipif(not shutil.which("chromium"),
                    reason="chromium not installed; `./reproduce.sh test` installs it (apt-get, as root)")
def test_html_report_renders_in_headless_chromium(results, tmp_path):
    _, html_path = report.write_report(results)
    page = html_path.read_text()
    check, console = render(page, tmp_path, "report")
    assert check == {"images": 3, "loaded": 3, "errors": [], "rows": len(reference.claims())}
    assert console == []
    # the checks can fail: a broken image and a console error are caught
    broken = page.replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1)
    broken = broken.replace("</body>", "<script>console.error('oops')</script></body>")
    check, console = render(broken, tmp_path, "broken")
    assert check["loaded"] == 2 and check["errors"] == ["failed to load IMG"]
    assert len(console) == 1 and "oops" in console[0]
