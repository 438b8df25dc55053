"""The SpiffWorkflow peer runs the engine bench's path and refuses to report a rate for a broken run."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("SpiffWorkflow", reason="SpiffWorkflow is not installed (the 'bench' extra of pyproject.toml)")

from bench.engine import HAPPY_PATH
from bench.peer import spiff
from bench.peer.path import PATH, PeerStep


def test_the_peer_walks_the_engine_benchs_path() -> None:
    assert tuple(step.transition for step in PATH) == HAPPY_PATH


@pytest.mark.parametrize("spec_once", [False, True], ids=["spec-in-every-row", "spec-once"])
def test_every_workflow_completes_one_persisted_step_per_transition(tmp_path: Path, spec_once: bool) -> None:
    figures = spiff.persisted_steps(tmp_path, proposals=3, spec_once=spec_once)

    assert figures["steps"] == 3 * len(PATH)
    assert figures["seconds"] > 0
    assert figures["per_second"] == pytest.approx(figures["steps"] / figures["seconds"])
    assert figures["per_step_us"] == pytest.approx(figures["seconds"] / figures["steps"] * 1e6)


def test_a_step_that_does_not_fit_the_model_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spiff, "PATH", (PeerStep("open_review", "open_review"), *PATH))

    with pytest.raises(spiff.PeerRunError, match="expected the user task 'open_review' to be ready, found submit"):
        spiff.persisted_steps(tmp_path, proposals=1)


def test_a_short_path_fails_verification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spiff, "PATH", PATH[:-1])

    with pytest.raises(spiff.PeerRunError, match="not completed"):
        spiff.persisted_steps(tmp_path, proposals=1)


def test_main_prints_both_variants(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "spiff.json"

    assert spiff.main(["--proposals", "1", "--json", str(out)]) == 0

    printed = capsys.readouterr().out
    assert "spec in every row" in printed and "spec stored once" in printed
    assert out.read_text(encoding="utf-8").count('"per_step_us"') == 2
