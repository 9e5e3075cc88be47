"""data/published.yaml agrees with itself, with the results keys and with scipy."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest
import yaml
from scipy import stats

from lcnec_utils.contract.params import PAPER_COVARIATES
from lcnec_utils.contract.params import PROJECT_ROOT as ROOT
from lcnec_utils.contract.published import (
    PUBLISHED_UNITS,
    PublishedDataError,
    load_published,
    published_values,
    round_half_up,
    study_description,
)
from lcnec_utils.contract.results_keys import (
    RESULTS_KEYS_PATH,
    expand_pattern,
    load_results_keys,
    results_unit,
)

ENTRIES = load_published()
TABLE = published_values()
KEYS = load_results_keys()
BY_KEY = {(e["key"], e.get("variant")): e for e in ENTRIES}
N = {"total": TABLE["n.total"], "treatment": TABLE["n.treatment"], "reference": TABLE["n.reference"]}


def has_note(key, variant=None):
    return bool(BY_KEY[(key, variant)].get("note"))


def test_every_published_key_is_a_known_results_key():
    unknown = sorted({e["key"] for e in ENTRIES} - set(KEYS))
    assert unknown == []


def test_published_units_match_the_results_key_units():
    wrong = [
        (e["key"], e["unit"], KEYS[e["key"]]["unit"])
        for e in ENTRIES
        if results_unit(e["unit"]) != KEYS[e["key"]]["unit"]
    ]
    assert wrong == []


def test_entries_per_source_are_as_counted():
    counts = Counter(e["source"]["where"] for e in ENTRIES)
    assert counts == {
        "Table 2": 163,  # 3 n + 7 age + 14 rows x 7 + 5 'Other' + 5 labs x 10
        "Table 3": 42,
        "Table 4": 96,  # 12 terms x 4 numbers x 2 endpoints
        "Section 3.1": 1,
        "Section 3.2": 10,
        "Section 3.3": 30,
        "Discussion": 2,
        "Figure 1": 1,
    }
    assert len(ENTRIES) == 345


def test_study_block_matches_the_group_sizes():
    study = study_description()
    assert study["n"] == N == {"total": 31, "treatment": 14, "reference": 17}
    assert study["software"] == "SPSS 27.0"


def _pct_entries(prefix: str):
    for e in ENTRIES:
        parts = e["key"].split(".")
        if e["key"].startswith(prefix) and len(parts) >= 2 and parts[-2] == "pct":
            yield e


@pytest.mark.parametrize("prefix", ["baseline.", "response.", "ici_class.", "safety.irae."])
def test_percent_agrees_with_count_over_n_at_printed_decimals(prefix):
    checked = 0
    disagree = []
    for e in _pct_entries(prefix):
        arm = e["key"].rsplit(".", 1)[1]
        count = TABLE[e["key"].replace(".pct.", ".n.")]
        expected = round_half_up(100 * count / N[arm], e["decimals"])
        checked += 1
        if expected != e["value"]:
            disagree.append((e["key"], e.get("variant"), e["value"], expected))
    assert checked > 0
    # Only section 3.2's 14.28% (2/14 = 14.2857%, truncated) is wrong, and it says so.
    assert disagree == (
        [("safety.irae.hypothyroidism.pct.treatment", "text-3.2", 14.28, 14.29)]
        if prefix == "safety.irae."
        else []
    )
    assert all(has_note(k, v) for k, v, *_ in disagree)


def test_table2_total_percent_printed_with_two_decimals_carries_a_note():
    odd = [e["key"] for e in _pct_entries("baseline.") if e["decimals"] != 1]
    assert sorted(odd) == [
        "baseline.chemo_regimen_ip.pct.total",
        "baseline.chemo_regimen_tp.pct.total",
    ]
    assert all(has_note(k) for k in odd)


def test_table2_arm_counts_add_up_to_the_total_except_noted_rows():
    rows = {k.split(".")[1] for k in TABLE if k.startswith("baseline.") and ".n." in k}
    off = [
        r
        for r in sorted(rows)
        if TABLE[f"baseline.{r}.n.treatment"] + TABLE[f"baseline.{r}.n.reference"]
        != TABLE[f"baseline.{r}.n.total"]
    ]
    assert off == ["ecog_0_1"]
    assert has_note("baseline.ecog_0_1.n.total")


FISHER_ROWS = {  # p name -> Table 2 row
    "age_ge65": "age_ge65",
    "sex": "sex_male",
    "ecog": "ecog_0_1",
    "smoking": "smoking",
    "met_bone": "met_bone",
    "met_liver": "met_liver",
    "met_brain": "met_brain",
    "met_adrenal": "met_adrenal",
    "met_pleura": "met_pleura",
    "met_intrapulmonary": "met_intrapulmonary",
    "chemo_regimen_ep_ec_el": "chemo_regimen_ep_ec_el",
    "chemo_regimen_ip": "chemo_regimen_ip",
    "chemo_regimen_tp": "chemo_regimen_tp",
    "thoracic_rt": "thoracic_rt",
}


def _fisher(a, n1, b, n2):
    return stats.fisher_exact([[a, n1 - a], [b, n2 - b]])[1]


def test_printed_fisher_p_values_that_scipy_does_not_reproduce_carry_a_note():
    n1, n2 = N["treatment"], N["reference"]
    off = []
    for name, row in FISHER_ROWS.items():
        p = _fisher(TABLE[f"baseline.{row}.n.treatment"], n1, TABLE[f"baseline.{row}.n.reference"], n2)
        if round_half_up(p, 3) != TABLE[f"baseline.{name}.p"]:
            off.append(f"baseline.{name}.p")
    for rate, (a, b) in {"orr": (7, 5), "dcr": (12, 13)}.items():
        if round_half_up(_fisher(a, n1, b, n2), 3) != TABLE[f"response.{rate}.p"]:
            off.append(f"response.{rate}.p")
    assert off == [
        "baseline.age_ge65.p",
        "baseline.sex.p",
        "baseline.met_intrapulmonary.p",
        "response.orr.p",
        "response.dcr.p",
    ]
    assert all(has_note(k) for k in off)


def test_orr_and_dcr_agree_with_the_response_counts():
    for arm in ("treatment", "reference"):
        n = N[arm]
        pr, sd = TABLE[f"response.pr.n.{arm}"], TABLE[f"response.sd.n.{arm}"]
        assert pr + sd + TABLE[f"response.pd.n.{arm}"] == n
        assert round_half_up(100 * pr / n, 1) == TABLE[f"response.orr.{arm}"]
        assert round_half_up(100 * (pr + sd) / n, 1) == TABLE[f"response.dcr.{arm}"]


def test_table_and_text_versions_of_one_year_os_both_recorded_with_notes():
    text = published_values("text-3.3")
    assert (TABLE["os.rate_12m.treatment"], TABLE["os.rate_12m.reference"]) == (54.5, 50.0)
    assert (text["os.rate_12m.treatment"], text["os.rate_12m.reference"]) == (78.8, 47.1)
    for arm in ("treatment", "reference"):
        assert has_note(f"os.rate_12m.{arm}") and has_note(f"os.rate_12m.{arm}", "text-3.3")


def test_any_irae_text_percent_is_noted_against_4_of_14():
    value = TABLE["safety.irae_any.treatment"]
    assert value == 28.56 and round_half_up(100 * 4 / 14, 2) == 28.57
    assert has_note("safety.irae_any.treatment")


def test_printed_bounds_are_null_values():
    bounds = [e for e in ENTRIES if e["value"] is None]
    assert bounds and all(e.get("bound") and e.get("variant") for e in bounds)


def test_doubtful_table4_labels_carry_notes():
    for ep in ("pfs", "os"):
        assert has_note(f"{ep}.cox_multivariable.age.hr")
        assert has_note(f"{ep}.cox_multivariable.ecog.hr")
        assert has_note(f"{ep}.cox_multivariable.hr")


def test_binary_arm_ci_is_narrower_than_31_patients_allow():
    # For a 0/1 term, information <= d/4 with d <= 31 events: CI ratio >= exp(2*1.96*2/sqrt(31)).
    floor = math.exp(2 * 1.959964 * 2 / math.sqrt(31))
    for ep in ("pfs", "os"):
        lo, hi = TABLE[f"{ep}.cox_multivariable.ci_low"], TABLE[f"{ep}.cox_multivariable.ci_high"]
        assert (hi + 0.005) / (lo - 0.005) < floor


def test_results_keys_cover_spec_and_conventions():
    for key in (
        "n.total",
        "os.events.reference",
        "pfs.median_ci_bc_high.treatment",
        "os.rate_12m.reference",
        "pfs.logrank.chi2",
        "os.cox_univariable.p",
        "followup.median",
        "response.dcr.p",
        "safety.irae_any.treatment",
        "baseline.met_other.pct.reference",
        "baseline.nse.q3.total",
        "response.ne.n.total",
        "response.orr.ci_high.treatment",
        "treatment.ongoing.n.total",
        "ici_class.pd1_ctla4.pct.treatment",
        "safety.irae.hepatitis.n.treatment",
        "safety.grade3plus.n.treatment",
        "pfs.rate_12m_ci_low.total",
        "flow.screened",
    ):
        assert key in KEYS, key
    # every chapter a key names is a notebook that records under that name
    recorded_by = {m["chapter"] for m in KEYS.values()}
    notebooks = "".join(p.read_text() for p in (ROOT / "notebooks").glob("*.ipynb"))
    started = set(re.findall(r'Chapter.start\(\\"([a-z_]+)\\"', notebooks))
    assert {"cohort", "baseline", "response", "survival", "multivariate", "safety"} <= recorded_by
    assert recorded_by <= started, recorded_by - started
    unexpanded = re.compile(r"<[a-z_0-9]+>")
    assert not any(unexpanded.search(k) or unexpanded.search(m["meaning"]) for k, m in KEYS.items())


def test_cox_term_keys_follow_paper_covariates():
    doc = yaml.safe_load(RESULTS_KEYS_PATH.read_text(encoding="utf-8"))
    assert doc["placeholders"]["term"] == PAPER_COVARIATES
    for term in PAPER_COVARIATES:
        assert f"os.cox_multivariable.{term}.ci_low" in KEYS


def test_expand_pattern():
    assert [k for k, _ in expand_pattern("a.<x>.<y>", {"x": [1, 2], "y": ["p"]})] == ["a.1.p", "a.2.p"]
    with pytest.raises(PublishedDataError):
        expand_pattern("a.<z>", {})


GOOD = {
    "key": "n.total",
    "value": 31,
    "unit": "count",
    "decimals": 0,
    "source": {"where": "Table 2"},
}


@pytest.mark.parametrize(
    "bad",
    [
        {k: v for k, v in GOOD.items() if k != "unit"},  # missing field
        {**GOOD, "unit": "percentage"},  # unit outside the vocabulary
        {**GOOD, "value": 31.5},  # more decimals than printed
        {**GOOD, "value": None},  # null without bound
        {**GOOD, "source": "Table 2"},  # source not a mapping
        {**GOOD, "key": "N Total"},  # not a dotted key
        {**GOOD, "valeu": 3},  # unknown field
    ],
)
def test_loader_rejects_malformed_entry(tmp_path, bad):
    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump({"values": [GOOD, bad] if bad.get("key") != "n.total" else [bad]}))
    with pytest.raises(PublishedDataError):
        load_published(path)


def test_loader_rejects_duplicate_key_variant(tmp_path):
    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump({"values": [GOOD, dict(GOOD)]}))
    with pytest.raises(PublishedDataError, match="duplicate"):
        load_published(path)
    path.write_text(yaml.safe_dump({"values": [GOOD, {**GOOD, "variant": "text-3.1"}]}))
    assert len(load_published(path)) == 2


def test_unit_vocabulary():
    assert {
        "count",
        "percent",
        "years",
        "months",
        "IU/L",
        "mmol/L",
        "ng/mL",
        "pg/mL",
        "ratio",
        "p",
    } == PUBLISHED_UNITS
