"""Unit tests of :mod:`sim.model.units`: unit capacities and the rules that send work orders to units.

:meth:`UnitDirectory.draw` maps uniform numbers to a work order's unit (and, if
misrouted, a wrong unit) by inversion, so feeding it stratified grids of
uniforms gives exact counts: a named unit takes every order of its category,
weights and Zipf exponents split orders in proportion, unclear jurisdiction
sends a street's order to the street's district (streets are split over the
districts in equal consecutive blocks), and a misrouted order goes to another
unit of the same type, uniformly, never to the right one.  Capacities are
``case_workers x caseload x scale`` rounded half up (at least 1 when a unit
has case workers), with ``staff_by_weight`` and ``case_workers_by_unit``.

Directories are built from small typed configurations, checked with
:func:`sim.config.rules.check_references`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from sim.config.rules import check_references
from sim.config.schema import CategoryConfig, Config, UnitTypeConfig
from sim.core.calendar import WorkCalendar
from sim.model.derive import unit_directory

CALENDARS = {"always": WorkCalendar(range(7), 0.0, 24.0), "office": WorkCalendar(range(5), 9.0, 18.0)}


def directory(units, categories=None, scale=1.0):
    """A UnitDirectory of ``units`` (name -> UnitTypeConfig) and ``categories`` (default: one per type)."""
    if categories is None:
        categories = {f"c_{t}": CategoryConfig(share=1.0 / len(units), direct_share=0.5, unit_type=t) for t in units}
    cfg = Config(categories=categories, units=units, scale=scale)
    check_references(cfg)
    return unit_directory(cfg, {"always": CALENDARS["always"], "daytime": CALENDARS["always"],
                                "office": CALENDARS["office"]})


def grid(n):
    """n stratified uniforms (k + 0.5) / n."""
    return (np.arange(n) + 0.5) / n


def draw(d, cat, u_unit, u_unclear=None, u_mis=None, u_wrong=None, p=0.0):
    n = len(u_unit)
    ones = np.full(n, 0.999)
    return d.draw(np.full(n, cat, dtype=np.int64), np.asarray(u_unit),
                  ones if u_unclear is None else np.asarray(u_unclear),
                  ones if u_mis is None else np.asarray(u_mis),
                  np.zeros(n) if u_wrong is None else np.asarray(u_wrong), p)


# --------------------------------------------------------------------------- capacities
@pytest.mark.parametrize("workers,caseload,scale,expected", [
    (3, 10, 1.0, [30, 30, 30]), (1, 5, 0.1, [1, 1, 1]), (3, 5, 0.1, [2, 1, 2]), (1, 25, 0.1, [3, 2, 3]),
    (7, 3, 0.5, [11, 10, 11]), (2, 10, 0.25, [5, 5, 5]), (1, 4, 0.1, [1, 1, 1]), (0, 10, 1.0, [0, 0, 0]),
    (8, 16, 0.05, [6, 7, 6]),
], ids=lambda v: str(v))
def test_capacity_is_scaled_with_fractions_carried(workers, caseload, scale, expected):
    """capacity = case_workers x caseload x scale, fractions carried over the type's 3 units (halves up),
    at least 1 with case workers, 0 without: 3 x 1.5 -> 2, 1, 2 (4.5 -> 5 in all); 3 x 6.4 -> 6, 7, 6;
    3 x 0.4 -> 0, 1, 0 -> 1, 1, 1 (minimum)."""
    d = directory({"dept": UnitTypeConfig(count=3, case_workers=workers, caseload=caseload)}, scale=scale)
    caps = [u.capacity for u in d.units]
    assert caps == expected, (f"case_workers={workers}, caseload={caseload}, scale={scale}: capacities {caps}, "
                              f"expected {expected}")
    assert all(u.free == u.capacity for u in d.units), "a new unit should have every slot free"


def test_staff_by_weight_spreads_case_workers_in_proportion():
    """staff_by_weight: count x case_workers = 3 x 4 = 12 workers spread by weights 1:1:2 -> 3, 3, 6 workers,
    capacities 15, 15, 30 (caseload 5), at scale 0.5: 7.5, 7.5, 15 -> 8, 7, 15 (fractions carried)."""
    ut = UnitTypeConfig(count=3, case_workers=4, caseload=5, weights=[1.0, 1.0, 2.0], staff_by_weight=True)
    assert [u.capacity for u in directory({"street": ut}).units] == [15, 15, 30], "scale 1"
    assert [u.capacity for u in directory({"street": ut}, scale=0.5).units] == [8, 7, 15], "scale 0.5"
    flat = UnitTypeConfig(count=3, case_workers=4, caseload=5, weights=[1.0, 1.0, 2.0], staff_by_weight=False)
    assert [u.capacity for u in directory({"street": flat}).units] == [20, 20, 20], "without staff_by_weight"


def test_staff_by_weight_with_zipf():
    """staff_by_weight with zipf 1 over 3 units: shares 6/11, 3/11, 2/11 of 3 x 11 workers -> 18, 9, 6."""
    ut = UnitTypeConfig(count=3, case_workers=11, caseload=1, zipf=1.0, staff_by_weight=True)
    caps = [u.capacity for u in directory({"street": ut}).units]
    assert caps == [18, 9, 6], f"zipf 1, 33 workers: capacities {caps}"


def test_case_workers_by_unit_overrides_type_and_weight():
    """case_workers_by_unit names exceptions (scaled like the others); names beyond ``names`` are <type>_NNN."""
    ut = UnitTypeConfig(count=4, names=["hq", "annex"], case_workers=2, caseload=10,
                        case_workers_by_unit={"hq": 30, "annex": 0}, weights=[1, 1, 1, 1], staff_by_weight=True)
    d = directory({"municipal": ut}, scale=0.1)
    got = {u.name: u.capacity for u in d.units}
    assert got == {"hq": 30, "annex": 0, "municipal_003": 2, "municipal_004": 2}, f"capacities {got}"
    assert d.by_name("hq").uid == 0 and d.by_name("municipal_004").uid == 3 and d.by_name("nope") is None


def test_global_ids_offsets_and_calendars():
    """Units get consecutive global ids type after type, their type index and their type's calendar."""
    d = directory({"a": UnitTypeConfig(count=2), "b": UnitTypeConfig(count=3, calendar="office")})
    assert [u.uid for u in d.units] == [0, 1, 2, 3, 4]
    assert d.type_of.tolist() == [0, 0, 1, 1, 1]
    assert [d.type_name(i) for i in range(5)] == ["a", "a", "b", "b", "b"]
    assert d.units[2].calendar is CALENDARS["office"] and d.units[0].calendar is CALENDARS["always"]
    assert len(d) == 5


# --------------------------------------------------------------------------- drawing the unit
def test_named_unit_takes_every_order_of_its_category():
    """A category with ``unit`` set goes to that unit whatever the uniform; the other category draws by type."""
    units = {"municipal": UnitTypeConfig(count=5, names=["health", "education"])}
    cats = {"health_care": CategoryConfig(share=0.5, direct_share=0.5, unit_type="municipal", unit="education"),
            "other": CategoryConfig(share=0.5, direct_share=0.5, unit_type="municipal")}
    d = directory(units, cats)
    unit, wrong = draw(d, 0, grid(1000))
    assert set(unit.tolist()) == {1}, f"named unit 'education' (uid 1): got units {sorted(set(unit.tolist()))}"
    assert (wrong == -1).all(), "misroute probability 0 but some orders misrouted"
    unit, _ = draw(d, 1, grid(1000))
    assert Counter(unit.tolist()) == {k: 200 for k in range(5)}, f"uniform over 5 units: {Counter(unit.tolist())}"


def test_category_without_unit_type_has_no_unit():
    """A category with unit_type '' (direct answers only) gets unit -1 and no wrong unit, even with p=1."""
    cats = {"info": CategoryConfig(share=0.5, direct_share=1.0),
            "x": CategoryConfig(share=0.5, direct_share=0.5, unit_type="dept")}
    d = directory({"dept": UnitTypeConfig(count=3)}, cats)
    unit, wrong = draw(d, 0, grid(50), u_mis=np.zeros(50), p=1.0)
    assert (unit == -1).all() and (wrong == -1).all(), f"units {set(unit.tolist())}, wrong {set(wrong.tolist())}"


def test_weights_split_orders_in_proportion():
    """weights 1:2:7 over the second type: a 1000-point grid gives exactly 100, 200, 700 orders (global ids 2-4)."""
    d = directory({"first": UnitTypeConfig(count=2), "dept": UnitTypeConfig(count=3, weights=[1.0, 2.0, 7.0])})
    unit, _ = draw(d, 1, grid(1000))
    assert Counter(unit.tolist()) == {2: 100, 3: 200, 4: 700}, f"weights 1:2:7: {Counter(unit.tolist())}"


@pytest.mark.parametrize("zipf", [0.0, 0.3, 1.0, 2.0])
def test_zipf_shares(zipf):
    """Without weights, unit i (1-based) gets a share proportional to 1 / i**zipf (0 = uniform)."""
    n_units, n = 6, 60000
    d = directory({"street": UnitTypeConfig(count=n_units, zipf=zipf)})
    unit, _ = draw(d, 0, grid(n))
    w = 1.0 / np.arange(1, n_units + 1) ** zipf
    expected = n * w / w.sum()
    got = np.bincount(unit, minlength=n_units)
    assert np.all(np.abs(got - expected) <= 1.0), f"zipf={zipf}: counts {got.tolist()}, expected {expected.round(1)}"
    if zipf > 0:
        assert np.all(np.diff(got) < 0), f"zipf={zipf}: counts should fall with rank: {got.tolist()}"


def test_unclear_jurisdiction_goes_to_the_streets_district():
    """8 streets in 3 districts (equal consecutive blocks 3/3/2): with u_unclear below unclear_share=0.3 an
    order of street i goes to district i*3//8 (districts 0,0,0,1,1,1,2,2); at or above it stays at the street."""
    units = {"street": UnitTypeConfig(count=8, district_of="district"), "district": UnitTypeConfig(count=3)}
    cats = {"housing": CategoryConfig(share=0.5, direct_share=0.5, unit_type="street", unclear_share=0.3),
            "market": CategoryConfig(share=0.5, direct_share=0.5, unit_type="district", unclear_share=0.3)}
    d = directory(units, cats)
    u_street = grid(8)  # one order per street
    blocks = [0, 0, 0, 1, 1, 1, 2, 2]
    unit, _ = draw(d, 0, u_street, u_unclear=np.full(8, 0.29))
    assert unit.tolist() == [8 + b for b in blocks], f"unclear street orders went to {unit.tolist()}"
    unit, _ = draw(d, 0, u_street, u_unclear=np.full(8, 0.3))
    assert unit.tolist() == list(range(8)), f"clear street orders went to {unit.tolist()}"
    unit, _ = draw(d, 1, grid(3), u_unclear=np.zeros(3))
    assert unit.tolist() == [8, 9, 10], f"district orders with 'unclear' uniforms moved to {unit.tolist()}"
    unit, _ = draw(d, 0, grid(8000), u_unclear=np.tile(grid(10), 800))
    assert np.mean(unit >= 8) == pytest.approx(0.3), "share of street orders sent to a district"


def test_named_street_unclear_goes_to_its_district():
    """A category fixed on one street (names[5]) with unclear_share 1 goes to that street's district (5*2//6 = 1)."""
    units = {"street": UnitTypeConfig(count=6, names=["s1", "s2", "s3", "s4", "s5", "s6"], district_of="district"),
             "district": UnitTypeConfig(count=2)}
    cats = {"c": CategoryConfig(share=1.0, direct_share=0.5, unit_type="street", unit="s6", unclear_share=1.0)}
    unit, _ = draw(directory(units, cats), 0, grid(10), u_unclear=np.zeros(10))
    assert set(unit.tolist()) == {7}, f"s6 (uid 5) is in district uid 7; got {set(unit.tolist())}"


@pytest.mark.parametrize("size", [2, 3, 5])
def test_misrouted_order_goes_to_another_unit_of_the_same_type(size):
    """With p=1 every order of a type with >= 2 units is misrouted: the wrong unit is of the same type, never the
    right one, and (over a grid of u_wrong) each of the size-1 other units is equally likely."""
    d = directory({"solo": UnitTypeConfig(count=1), "dept": UnitTypeConfig(count=size)},
                  {"a": CategoryConfig(share=0.5, direct_share=0.5, unit_type="solo"),
                   "b": CategoryConfig(share=0.5, direct_share=0.5, unit_type="dept")})
    n_w = 12 * (size - 1)
    for right in range(1, size + 1):
        u_unit = np.full(n_w, (right - 1 + 0.5) / size)
        unit, wrong = draw(d, 1, u_unit, u_mis=np.zeros(n_w), u_wrong=grid(n_w), p=1.0)
        assert (unit == right).all(), f"size={size}: right unit {right} expected, got {set(unit.tolist())}"
        assert (wrong != unit).all(), f"size={size}, unit {right}: misrouted to itself"
        assert set(wrong.tolist()) <= set(range(1, size + 1)), f"size={size}: wrong unit of another type {wrong}"
        counts = Counter(wrong.tolist())
        assert len(counts) == size - 1 and set(counts.values()) == {12}, (
            f"size={size}, unit {right}: wrong units not uniform over the others: {counts}")
    unit, wrong = draw(d, 0, grid(20), u_mis=np.zeros(20), p=1.0)
    assert (wrong == -1).all(), "a type with one unit cannot misroute"


def test_misroute_probability_threshold():
    """An order is misrouted iff u_mis < misroute_probability (0.25 of a grid -> exactly 25 of 100)."""
    d = directory({"dept": UnitTypeConfig(count=4)})
    unit, wrong = draw(d, 0, grid(100), u_mis=grid(100), u_wrong=grid(100), p=0.25)
    assert int((wrong >= 0).sum()) == 25, f"misrouted {int((wrong >= 0).sum())} of 100 at p=0.25"
    assert (wrong[:25] >= 0).all() and (wrong[25:] == -1).all()
    _, wrong = draw(d, 0, grid(100), u_mis=grid(100), p=0.0)
    assert (wrong == -1).all(), "misrouted with p=0"


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_wrong_unit_method(size):
    """wrong_unit (used on re-dispatch): another unit of the same type for every u in [0, 1) (including 0 and the
    largest double below 1), uniform over the others; a type with a single unit returns the unit itself."""
    d = directory({"first": UnitTypeConfig(count=2), "dept": UnitTypeConfig(count=size)},
                  {"a": CategoryConfig(share=0.5, direct_share=0.5, unit_type="first"),
                   "b": CategoryConfig(share=0.5, direct_share=0.5, unit_type="dept")})
    ids = range(2, 2 + size)
    us = list(grid(6 * max(size - 1, 1))) + [0.0, float(np.nextafter(1.0, 0.0))]
    for uid in ids:
        got = [d.wrong_unit(uid, u) for u in us]
        if size == 1:
            assert got == [uid] * len(us), f"single-unit type: wrong_unit({uid}) = {set(got)}"
            continue
        assert uid not in got and set(got) <= set(ids), f"size={size}, uid={uid}: wrong units {sorted(set(got))}"
        counts = Counter(got[:-2])
        assert len(counts) == size - 1 and set(counts.values()) == {6}, f"size={size}, uid={uid}: {counts}"
