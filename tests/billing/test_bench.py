"""The benchmark package runs and merges its figures (on a small campaign)."""

import json

import pytest

import bench
from bench import __main__ as bench_main
from bench import bench_billing


@pytest.mark.django_db
def test_the_billing_benchmark_reports_its_figures(monkeypatch, tmp_path):
    monkeypatch.setattr(bench_billing, "FAMILIES", 60)
    results_file = tmp_path / ".bench" / "results.json"
    results_file.parent.mkdir()
    results_file.write_text(json.dumps({"other_benchmark_seconds": 1.5}))
    monkeypatch.setattr(bench_main, "RESULTS", results_file)
    monkeypatch.setattr(bench_main.django, "setup", lambda: None)
    assert bench_main.main(["billing"]) == 0
    results = json.loads(results_file.read_text())
    assert results["other_benchmark_seconds"] == 1.5  # merged, not replaced
    assert results["estimate_20000_seconds"] > 0
    assert results["baseline_decimal_20000_seconds"] > 0
    assert results["grid_load_queries"] == 4
    assert "billing" in bench_main.discover()
    assert bench.best_of(2, lambda: None) >= 0


def test_an_unknown_benchmark_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(bench_main.django, "setup", lambda: None)
    assert bench_main.main(["nope"]) == 2
    assert "Unknown benchmark" in capsys.readouterr().out


def test_the_generated_campaign_covers_every_case():
    campaign = bench_billing.families(120)
    assert {f["is_resident"] for f in campaign} == {True, False}
    assert {f["qf_proven"] for f in campaign} == {True, False}
    assert {len(f["enrolments"]) for f in campaign} == {1, 2, 3}
    assert any(e.starts_on for f in campaign for e in f["enrolments"])
