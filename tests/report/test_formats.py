"""Numbers as a person reads them: durations in the unit of their size, no interval for a quantity the input
fixes, a currency on costs, CSV numbers to the precision of their unit (summary.json exact)."""

from __future__ import annotations

import pytest

from sim.report.numbers import column_decimals, csv_text
from sim.report.text import (
    currency_of,
    format_diff,
    format_duration,
    format_interval,
    format_value,
    interval_text,
    kpi_table,
    with_unit,
)


@pytest.mark.parametrize("seconds, text", [
    (9.2, "9.20 s"), (75.25, "75.2 s"), (130.58, "2.18 min"), (49681.46, "13.8 h"), (153.66 * 3600, "6.40 days"),
    (0.0, "0.00 s"), (7200.0, "2.00 h"), (86400.0 * 30, "30.0 days")])
def test_a_duration_is_shown_in_the_unit_of_its_size(seconds, text):
    """The issue's example: a long online wait of 49,681.46 s is 13.8 h; 153.66 h to close is 6.40 days."""
    assert format_duration(seconds) == text, (seconds, format_duration(seconds))


def test_a_time_kpi_and_its_interval_share_the_unit_of_the_mean():
    """``online_mean_wait_s`` of 49,681 s reads 13.8 h, and its interval's ends are in hours too (not one end in
    minutes); a KPI in hours (time to close) is converted from hours."""
    ci = {"mean": 49681.46, "ci_low": 5000.0, "ci_high": 94000.0}
    assert format_value("online_mean_wait_s", ci["mean"]) == "13.8 h"
    assert format_interval("online_mean_wait_s", ci) == "[1.4 h, 26.1 h]"  # the decimals of the mean
    assert format_value("time_to_close_p90_h", 153.66) == "6.40 days"
    assert format_diff("asa_s", 90.0) == "+90.0 s" and format_diff("asa_s", -300.0) == "-5.00 min"


def test_a_quantity_fixed_by_the_input_has_no_interval():
    """The issue's example: operator-hours shown as "50,680.00 [50,680.00, 50,680.00]"; now "50,680 h" and
    "fixed by the input" (the plan fixes them: the same in every replication)."""
    ci = {"mean": 50680.0, "ci_low": 50680.0, "ci_high": 50680.0}
    assert with_unit("operator_hours", ci["mean"]) == "50,680 h"
    assert format_interval("operator_hours", ci) is None and interval_text("operator_hours", ci) == "fixed by the input"
    assert interval_text("staffing_cost", ci) == "fixed by the input"
    # a KPI that happens not to vary still shows its interval: it is not fixed by the input
    assert interval_text("online_on_time_rate", {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0}) == "[100.00%, 100.00%]"
    line = next(ln for ln in kpi_table(_summary({"operator_hours": ci})).splitlines()
                if ln.startswith("operator_hours"))
    assert "fixed by the input" in line and "[" not in line, line


def _summary(kpis, staffing=None):
    out = {"confidence": 0.95, "scenario": "x", "replications": 3, "horizon_h": 1, "warmup_h": 0, "seed": 1,
           "scale": 1, "kpis": kpis, "accounting": {"states": {}, "total_per_replication": [], "balanced": True}}
    if staffing is not None:
        out["staffing"] = staffing
    return out


@pytest.mark.parametrize("staffing, unit", [(None, "cost units"), ({"policy": "plan"}, "cost units"),
                                            ({"policy": "plan", "currency": "CNY"}, "CNY")])
def test_a_cost_carries_its_currency(staffing, unit):
    """``staffing.currency`` (summary.json -> staffing -> currency) labels every cost; without one, "cost units"."""
    summary = _summary({"staffing_cost": {"mean": 50680.0, "ci_low": 50680.0, "ci_high": 50680.0}}, staffing)
    assert currency_of(summary) == unit
    assert with_unit("staffing_cost", 50680.0, currency_of(summary)) == f"50,680 {unit}"
    line = next(ln for ln in kpi_table(summary).splitlines() if ln.startswith("staffing_cost"))
    assert f"50,680 {unit}" in line, line


@pytest.mark.parametrize("x, column, text", [
    (0.31914893617, "service_level", "0.319149"), (0.9229339001, "response_rate_ci_low", "0.922934"),
    (0.96152896, "response_rate.street", "0.961529"), (49.4542968281, "asa_s", "49.454"),
    (154.877466322, "time_to_close_p90_h", "154.8775"), (6.61415553591, "offered_load", "6.614"),
    (22.7446175489, "mean_operators", "22.745"), (73.66123456, "service_level_pct", "73.6612"),
    (104.25, "orders_received", "104.25"), (5068.0, "operator_hours", "5068"), (0.5, "start_h", "0.5"),
    (1234567.89, "anything", "1234568"), (0.000123456789, "anything", "0.000123457"), (-1e-9, "asa_s_diff", "0"),
    (float("nan"), "asa_s", ""), (None, "asa_s", ""), (3, "calls_offered", "3")])
def test_csv_numbers_are_rounded_to_their_unit(x, column, text):
    """The issue's example: CSVs carried 12-digit floats (0.31914893617); a column is rounded to what its unit can
    mean, never in exponent notation."""
    assert csv_text(x, column) == text, (x, column, csv_text(x, column))


def test_every_column_of_a_run_has_a_precision(run_report):
    """Every numeric column of the run's CSV files has at most the decimals of its unit (6 significant digits for
    a column of no known unit), and no number is written in exponent notation."""
    import csv

    out, _ = run_report
    for path in sorted(out.glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for column in rows[0]:
            d = column_decimals(column)
            for r in rows:
                cell = r[column]
                try:
                    float(cell)
                except ValueError:
                    continue
                assert "e" not in cell.lower(), f"{path.name}:{column}: {cell}"
                decimals = len(cell.split(".")[1]) if "." in cell else 0
                limit = d if d is not None else 12
                assert decimals <= limit, f"{path.name}:{column}: {cell} has {decimals} decimals (> {limit})"


def test_a_mean_count_of_a_few_events_is_not_rounded_away():
    """An online submission in one replication of four: the mean 0.25 read "0" with the interval "[0, 1]" on the
    terminal and the pages, as if none had come; it reads 0.25 [0.00, 1.05].  Whole and large counts keep no
    decimals, and an interval's ends take the decimals of its mean."""
    ci = {"mean": 0.25, "ci_low": 0.0, "ci_high": 1.0457}
    assert format_value("online_offered", 0.25) == "0.25"
    assert format_interval("online_offered", ci) == "[0.00, 1.05]"
    assert format_value("online_offered", 0.0) == "0" and format_value("calls_offered", 3.0) == "3"
    assert format_value("calls_offered", 904.8) == "905"
    assert format_interval("callbacks_accepted", {"mean": 112.5, "ci_low": 3.2, "ci_high": 283.1}) == "[3, 283]"
    row = next(ln for ln in kpi_table(_summary({"online_offered": ci})).splitlines()
               if ln.startswith("online_offered"))
    assert "0.25" in row and "[0.00, 1.05]" in row, row


def test_an_open_range_of_a_duration_is_in_one_unit():
    """The median time to close with a third of the orders still open ranged from 37.5 h to 59.7 h: the note read
    "37.5 h to 2.49 days", each end in the unit of its own size. Both ends now take the unit of the KPI's mean
    (the row beside it: 2.00 days), or without it of the upper end; a lower bound alone keeps its own."""
    from sim.report.text import open_note

    entry = {"open_share": 0.3392, "method": "kaplan_meier", "low": {"mean": 37.498}, "high": {"mean": 59.687}}
    assert open_note("time_to_close_median_h", entry, 48.1) == "33.92% not yet closed: 1.56 days to 2.49 days"
    assert open_note("time_to_close_median_h", entry) == "33.92% not yet closed: 1.56 days to 2.49 days"
    alone = {"open_share": 0.3392, "method": "lower_bound", "low": {"mean": 46.65}, "high": None}
    assert open_note("time_to_close_mean_h", alone, 46.65) == "33.92% not yet closed: at least 46.6 h, no upper bound"


def test_the_roster_line_and_note_count_like_the_position():
    """Day-by-day 8-hour shifts for one day: the position read "gap +155.5 h" and the roster "over-coverage 156
    operator-hours ... each at most 1 days a week". Both now give the half hour, and one day is "1 day"."""
    from sim.report.staffing_view import roster_table
    from sim.report.text import staffing_line

    roster = {"positions": 116, "max_days_per_week": 1, "entries": []}
    s = {"policy": "erlang", "targets": {"service_level": 0.8}, "intervals_meeting": {"service_level": 1.0},
         "confirmation": {}, "groups": {"operators": {"roster": roster}},
         "shifts": {"over_coverage_operator_hours_per_week": 155.5, "over_coverage_cost_per_week": 155.5,
                    "cost_per_week": 928.0, "paid_hours_per_week": 928.0}}
    lines = staffing_line({"staffing": s}).splitlines()
    assert lines[-1] == ("Roster: 116 positions, each at most 1 day a week (roster.csv); over-coverage 155.5 "
                         "operator-hours a week, costing 155.5 cost units of 928 cost units a week"), lines[-1]
    note = roster_table(s).note
    assert note.startswith("116 positions, each at most 1 day a week; paid 928 operator-hours a week costing 928 "
                           "cost units, of which 155.5 operator-hours (155.5 cost units)"), note
