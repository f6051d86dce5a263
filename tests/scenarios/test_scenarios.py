"""Every caller scenario in tests/scenarios/calls, played through the real endpoint against the
in-process Cal.com sandbox (tests/scenarios/runner.py). `make scenarios` runs these alone."""

import pytest

from tests.scenarios.runner import load, play, scenario_files


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    monkeypatch.setattr("integrations.resilience.retry_sleep", lambda seconds: None)


@pytest.mark.django_db
@pytest.mark.parametrize("path", scenario_files(), ids=lambda path: path.stem)
def test_scenario(path, client, pinned_clock, monkeypatch):
    scenario = load(path)
    problems = play(scenario, client=client, clock=pinned_clock, monkeypatch=monkeypatch)
    assert not problems, f"{scenario['title']}:\n  " + "\n  ".join(problems)


def test_there_are_at_least_thirty_scenarios_in_german_and_english():
    languages = [load(path).get("language", "de") for path in scenario_files()]
    assert len(languages) >= 30 and {"de", "en"} <= set(languages)
