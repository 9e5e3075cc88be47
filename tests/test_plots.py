"""lcnec_utils.plots: figures have the elements they promise, arms keep their
colours, and saved PNGs are byte-identical run to run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from matplotlib.figure import Figure

from lcnec_utils import plots as P
from lcnec_utils import tables as T
from lcnec_utils.contract.params import Parameters


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def fitters(n_ref: int = 17, n_trt: int = 14, seed: int = 1) -> dict[str, KaplanMeierFitter]:
    params = Parameters()
    rng = np.random.default_rng(seed)
    out = {}
    for role, label, n, scale in (
        ("reference", params.reference_group, n_ref, 10.0),
        ("treatment", params.treatment_group, n_trt, 16.0),
    ):
        t = rng.exponential(scale, n).round(1) + 0.1
        e = (rng.random(n) < 0.75).astype(int)
        out[role] = KaplanMeierFitter().fit(t, e, label=label)
    return out


def _hex(colour) -> str:
    return mcolors.to_hex(colour).upper()


def at_risk_rows(fig: Figure) -> int:
    """Number of arms in the at-risk table of a km_plot figure (0 if none): lifelines writes
    the table as the tick labels of an extra axis, "At risk" and one line per arm."""
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_xticklabels()]
        if labels and labels[0].startswith("At risk"):
            return len([ln for ln in labels[0].strip("\n").split("\n")[1:] if ln.strip()])
    return 0


def test_arm_colours_are_okabe_ito_by_role():
    assert P.ARM_COLOURS == {"reference": "#D55E00", "treatment": "#0072B2"}
    assert set(P.ARM_COLOURS.values()) <= set(P.OKABE_ITO.values())
    assert not set(P.RESPONSE_COLOURS.values()) & set(P.ARM_COLOURS.values())


def test_set_style_applies_rcparams():
    P.set_style()
    assert matplotlib.rcParams["axes.spines.top"] is False
    assert _hex(matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0]) == "#0072B2"


def test_km_plot_elements():
    kmfs = fitters()
    fig = P.km_plot(kmfs, "Overall survival", Parameters(), annotation="Log-rank p = 0.036")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    steps = [ln for ln in ax.lines if ln.get_drawstyle() == "steps-post"]
    assert len(steps) == 2
    by_label = {ln.get_label(): _hex(ln.get_color()) for ln in steps}
    assert by_label == {"Chemo": "#D55E00", "ICIs + Chemo": "#0072B2"}
    censors = [ln for ln in ax.lines if ln.get_marker() == "|"]
    assert len(censors) == sum(int((k.event_table["censored"] > 0).any()) for k in kmfs.values())
    medians = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    assert len(medians) == sum(np.isfinite(k.median_survival_time_) for k in kmfs.values())
    assert at_risk_rows(fig) == 2
    ticks = ax.get_xticks()
    assert ticks[0] == 0 and np.allclose(np.diff(ticks), 6)
    assert ax.get_xlabel() == "Months" and ax.get_ylabel() == "Overall survival"
    assert any(t.get_text() == "Log-rank p = 0.036" for t in ax.texts)


def test_km_plot_ci_band_and_no_at_risk():
    fig = P.km_plot(fitters(), "PFS", ci=True, at_risk=False, median_lines=False)
    ax = fig.axes[0]
    assert len(ax.collections) == 2  # one band per arm
    assert at_risk_rows(fig) == 0
    assert not [ln for ln in ax.lines if ln.get_linestyle() == ":"]


def test_km_plot_large_arms_draw_no_censor_marks():
    kmfs = fitters(n_ref=3000, n_trt=2500)
    fig = P.km_plot(kmfs, "OS", at_risk=True)
    ax = fig.axes[0]
    assert not [ln for ln in ax.lines if ln.get_marker() == "|"]
    steps = [ln for ln in ax.lines if ln.get_drawstyle() == "steps-post"]
    assert all(len(ln.get_xdata()) <= 1000 for ln in steps)
    assert all(ln.get_linewidth() < 1.5 for ln in steps)
    assert at_risk_rows(fig) == 2


def test_forest_plot_rows_in_order_on_log_scale():
    table = pd.DataFrame(
        {
            "term": ["arm", "age", "ecog", "sex"],
            "label": ["ICIs + Chemo vs Chemo", "Age, per year", "ECOG, per point", "Male sex"],
            "hr": [0.51, 1.02, 1.48, np.nan],
            "ci_low": [0.28, 0.98, 1.01, np.nan],
            "ci_high": [0.92, 1.06, 2.16, np.nan],
            "p": [0.026, 0.280, 0.043, None],
        }
    )
    fig = P.forest_plot(table)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ys = list(ax.get_yticks())
    order = [lab for _, lab in sorted(zip(ys, labels), reverse=True)]
    assert order == list(table["label"])
    texts = [t.get_text() for t in ax.texts]
    assert "0.51 (0.28–0.92)" in texts and "not estimable" in texts and "0.026" in texts
    assert any(np.allclose(ln.get_xdata(), 1.0) for ln in ax.lines)  # reference line
    squares = [ln for ln in ax.lines if ln.get_marker() == "s"]
    assert len(squares[0].get_xdata()) == 3


def test_forest_plot_wraps_long_labels_and_keeps_its_axis():
    """Chapter 10 labels its rows with the model fitted ("The model fitted here (the arm and 10 of the
    paper's 11 covariates)"): on one line such a label pushed the axis's left edge past the text columns,
    and matplotlib raised "left cannot be >= right"; wrapped at 40 characters, the axis keeps a fifth of
    the figure."""
    long = "The model fitted here (the arm and 10 of the paper's 11 covariates)"
    table = pd.DataFrame(
        {
            "label": ["Arm alone", long],
            "hr": [0.5, 0.48],
            "ci_low": [0.2, 0.22],
            "ci_high": [1.0, 1.06],
            "p": [0.06, 0.07],
        }
    )
    ax = P.forest_plot(table).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Arm alone",
        "The model fitted here (the arm and 10 of\nthe paper's 11 covariates)",
    ]
    assert ax.get_position().width > 0.2


def test_patient_flow_uses_the_numbers_passed_in():
    fig = P.patient_flow(56, {"Incomplete data": 20}, 31, 17, 14, Parameters())
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for part in (
        "n = 56",
        "Excluded (n = 25)",
        "Incomplete data (n = 20)",
        "reason not reported (n = 5)",
        "n = 31",
        "ICIs + Chemo\n(n = 14)",
        "Chemo\n(n = 17)",
    ):
        assert part in texts
    fig2 = P.patient_flow(120, {"A": 30, "B": 10}, 80, 50, 30, ("Control", "New"))
    texts2 = " ".join(t.get_text() for t in fig2.axes[0].texts)
    assert "Excluded (n = 40)" in texts2 and "New\n(n = 30)" in texts2
    assert "56" not in texts2 and "reason not reported" not in texts2


def test_response_bar_stacks_percentages():
    from test_tables import paper_cohort

    params = Parameters()
    fig = P.response_bar(T.response_table(paper_cohort(), params))
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == 3 * 2  # PR, SD, PD for two arms
    widths = {}
    for b in bars:
        widths.setdefault(round(b.get_y(), 3), 0.0)
        widths[round(b.get_y(), 3)] += b.get_width()
    assert all(w == pytest.approx(100.0) for w in widths.values())


def _draw_and_save(path):
    fig = P.km_plot(fitters(), "Overall survival", ci=True, annotation="HR 0.55")
    P.save_figure(fig, path)
    plt.close(fig)
    return path.read_bytes()


def test_save_figure_is_byte_identical_across_runs(tmp_path):
    first = _draw_and_save(tmp_path / "a.png")
    second = _draw_and_save(tmp_path / "b.png")
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == second
    assert b"Software" not in first and b"matplotlib" not in first.lower()


@pytest.mark.parametrize("suffix", ["svg", "pdf"])
def test_save_figure_vector_formats_are_deterministic(tmp_path, suffix):
    def once(name):
        fig = P.forest_plot(
            pd.DataFrame({"label": ["a"], "hr": [0.5], "ci_low": [0.3], "ci_high": [0.9], "p": [0.02]})
        )
        P.save_figure(fig, tmp_path / f"{name}.{suffix}")
        plt.close(fig)
        return (tmp_path / f"{name}.{suffix}").read_bytes()

    assert once("a") == once("b")


def test_patient_flow_without_screening_numbers():
    fig = P.patient_flow(None, {}, 31, 17, 14, {"reference": "Chemo", "treatment": "ICIs + Chemo"})
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "Excluded" not in texts and "assessed" not in texts
    assert "Included in the analysis\n(n = 31)" in texts


def test_km_median_line_uses_first_time_at_or_below_half():
    # 14 patients, one death a month: S(7) = 7/14 = 0.5 exactly in arithmetic,
    # which floating point may put a hair above 0.5
    kmf = KaplanMeierFitter().fit(np.arange(1, 15), np.ones(14), label="A")
    fig = P.km_plot({"treatment": kmf}, "OS", at_risk=False)
    median = next(ln for ln in fig.axes[0].lines if ln.get_linestyle() == ":")
    assert median.get_xdata()[1] == 7


def test_forest_plot_prints_a_bootstrap_rows_interval_as_the_tables_do():
    """A row marked ``bootstrap`` prints its percentile interval by format_bootstrap_ci ("0.46 (below
    0.001 to 2.89)"; it printed "0.46 (0.00–2.89)"), a row not marked keeps two decimals and an en dash
    whatever its bounds, and a bootstrap row without bounds prints "—" as the table's cell
    (``methods.format_comparison``) does (it printed its HR alone, "0.46")."""
    table = pd.DataFrame(
        {
            "label": ["Wald", "bootstrap", "bootstrap, no interval"],
            "hr": [0.46, 0.46, 0.46],
            "ci_low": [0.0004, 0.0004, np.nan],
            "ci_high": [2.891, 2.891, np.nan],
            "p": [0.3, np.nan, np.nan],
            "bootstrap": [False, True, True],
        }
    )
    texts = [t.get_text() for t in P.forest_plot(table).axes[0].texts]
    assert texts[2::2] == ["0.46 (0.00–2.89)", "0.46 (below 0.001 to 2.89)", "—"]
    # the table's cells of the same rows, bootstrap and not, are the plot's
    from lcnec_utils.methods.smallsample import format_comparison

    cells = format_comparison(
        table.assign(
            model=["full", "bootstrap", "bootstrap"],
            terms=1,
            epv=np.nan,
            converged=True,
            method="",
        )
    )["HR of the arm (95% CI)"]
    assert list(cells) == texts[2::2]
    assert [t.get_text() for t in P.forest_plot(table.drop(columns="bootstrap")).axes[0].texts][4] == (
        "0.46 (0.00–2.89)"
    )


def test_forest_plot_clips_extreme_estimates_to_the_axis():
    table = pd.DataFrame(
        {
            "label": ["separated", "ordinary", "huge CI"],
            "hr": [1e-9, 1.2, 96.0],
            "ci_low": [1e-12, 0.8, 7.0],
            "ci_high": [0.07, 1.8, 1320.0],
            "p": [1e-4, 0.4, 1e-4],
        }
    )
    fig = P.forest_plot(table)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert lo >= P.X_LIMITS[0] and hi <= P.X_LIMITS[1]
    texts = [t.get_text() for t in ax.texts]
    assert "96.00 (7.00–1320.00)" in texts and "0.00 (0.00–0.07)" in texts
    assert [ln for ln in ax.lines if ln.get_marker() == "D"]  # beyond-axis estimate


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_interval_labels_of_the_figures_follow_the_level_they_were_computed_at():
    """A figure whose interval was computed at alpha 0.10 labels it 90%; without an alpha, 95% as
    before (the forest plot's column header, the bootstrap, RMST and landmark legends)."""
    from lcnec_utils.plots import immunotherapy

    table = pd.DataFrame({"label": ["arm"], "hr": [0.5], "ci_low": [0.3], "ci_high": [0.9], "p": [0.02]})
    curve = pd.DataFrame(
        {"tau": [1.0, 2.0], "difference": [0.1, 0.3], "ci_low": [-0.1, 0.0], "ci_high": [0.3, 0.6]}
    )
    landmarks = pd.DataFrame(
        {"landmark": [0.0, 1.0], "hr": [0.5, 0.6], "ci_low": [0.3, 0.3], "ci_high": [0.9, 1.2]}
    )
    samples = np.exp(np.linspace(-1, 0.2, 50))
    for kwargs, level in (({"alpha": 0.10}, "90% CI"), ({}, "95% CI")):
        texts = [t.get_text() for t in P.forest_plot(table, **kwargs).axes[0].texts]
        assert f"HR ({level})" in texts
        boot = P.bootstrap_histogram(samples, 0.5, (0.4, 0.9), **kwargs)
        assert f"percentile {level}" in _legend_texts(boot)
        assert level in _legend_texts(P.rmst_curve_plot(curve, (1.0,), **kwargs))
        assert level in _legend_texts(immunotherapy.landmark_curve_plot(landmarks, 1.0, **kwargs))


def test_figures_emit_no_warnings_even_on_degenerate_cohorts():
    # a warning is stderr output in a notebook cell, which fails the book build
    import warnings

    from test_tables import paper_cohort

    params = Parameters()
    full = paper_cohort()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cohort in (
            full,
            full[full["group"] == "Chemo"],
            full.iloc[:0],
            full.drop(columns=["best_response"]),
        ):
            P.response_bar(T.response_table(cohort, params))
            plt.close("all")
        P.km_plot(fitters(n_ref=800, n_trt=700), "OS", ci=True, annotation="p")
        P.patient_flow(None, {}, 31, 17, 14, params)


def test_beta_t_plot_draws_rs_fit_its_band_and_rs_axis_labels():
    """The β(t) figure: the points on cox.zph's g scale, the spline fit as a line, the band as one shaded
    area between its limits, the x axis labelled in months where R labels it; no band, no area."""
    from matplotlib.collections import PolyCollection

    from lcnec_utils.methods import ph
    from lcnec_utils.stats import cox

    rng = np.random.default_rng(2)
    arm = np.arange(30) % 2
    t = rng.exponential(1 / np.exp(-0.5 * arm)).round(2) + 0.01
    frame = pd.DataFrame({"duration": t, "event": (rng.random(30) < 0.8).astype(int), "treatment": arm})
    pts = ph.beta_t(cox.fit_design(cox.DesignMatrix(frame, ["treatment"], {}, 0, {}), 0.05))
    band = ph.zph_band(pts)
    ticks = ph.zph_axis_ticks(pts)
    ax = P.beta_t_plot(pts, band, ticks).axes[0]
    areas = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(areas) == 1
    outline = areas[0].get_paths()[0].vertices
    assert outline[:, 1].min() == pytest.approx(band["low"].min())
    assert outline[:, 1].max() == pytest.approx(band["high"].max())
    fit = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == len(band)]
    assert len(fit) == 1 and np.allclose(fit[0].get_ydata(), band["fit"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ticks[1]
    assert "± 2 SE" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    plt.close("all")
    bare = P.beta_t_plot(pts, None).axes[0]
    assert not [c for c in bare.collections if isinstance(c, PolyCollection)]


def test_forest_plot_p_column_starts_right_of_every_hr_cell():
    """A long cell (a bootstrap row's "0.46 (below 0.001 to 2.89)") pushes the p column right, so that
    the two never overlap (the column sat at 0.87 of the figure and the cell ran into its "—"); short
    cells leave it at 0.87."""

    def layout(table):
        fig = P.forest_plot(table)
        renderer = fig.canvas.get_renderer()
        to_figure = fig.transFigure.inverted()
        texts = fig.axes[0].texts
        right = max(to_figure.transform(t.get_window_extent(renderer))[1, 0] for t in texts[2::2])
        p_x = {t.get_position()[0] for t in texts[1::2]}
        plt.close(fig)
        return right, p_x

    long = pd.DataFrame(
        {
            "label": ["Wald", "bootstrap"],
            "hr": [0.46, 0.46],
            "ci_low": [0.22, 0.0004],
            "ci_high": [0.99, 2.891],
            "p": [0.046, np.nan],
            "bootstrap": [False, True],
        }
    )
    right, p_x = layout(long)
    assert len(p_x) == 1 and p_x.pop() >= right + P.P_GAP - 1e-9 > 0.87
    right, p_x = layout(long.assign(bootstrap=False))
    assert p_x == {0.87} and right + P.P_GAP < 0.87
