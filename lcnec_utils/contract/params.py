"""Analysis parameters: their names, defaults and types.

Every notebook receives the same parameter set from papermill; ``lcnec build
-p NAME VALUE`` overrides any of them. The defaults reproduce the published
analysis (Table 4's covariate set, 12-month landmark, two-sided alpha 0.05).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_COHORT = DATA_DIR / "lcnec_synthetic_cohort.csv"
DEFAULT_AE = DATA_DIR / "lcnec_synthetic_adverse_events.csv"
DATA_DICTIONARY = DATA_DIR / "data_dictionary.yaml"

#: Table 4 of the paper: every term of the multivariable Cox model besides the
#: arm. Age and ECOG enter as numbers (the reported HRs of 1.02 per unit and
#: 1.48 per unit are only plausible for a per-year and per-point coding).
PAPER_COVARIATES = [
    "age",
    "sex",
    "smoking",
    "ecog",
    "met_bone",
    "met_liver",
    "met_brain",
    "met_pleura",
    "met_intrapulmonary",
    "met_adrenal",
    "thoracic_rt",
]


@dataclass
class Parameters:
    """The parameters in force for one build.

    ``map_path`` is a mapping file (:mod:`lcnec_utils.contract.mapping`) for
    a hospital's export, ``sheet`` the cohort's sheet of an Excel workbook.
    ``covariates`` are the adjustment terms of the multivariable Cox model;
    the arm (``treatment`` versus ``reference``) is always in the model.
    ``landmark_months`` is the time of the landmark survival rates (the
    paper's 12 months); ``landmark_analysis_months`` is the landmark of the
    landmark analysis against immortal time (chapter 15): only patients alive
    and under observation at that time are compared, from that time on.
    """

    data_path: str = str(DEFAULT_COHORT)
    ae_path: str | None = str(DEFAULT_AE)
    reference_group: str = "Chemo"
    treatment_group: str = "ICIs + Chemo"
    map_path: str | None = None
    sheet: str | None = None
    landmark_months: float = 12.0
    landmark_analysis_months: float = 3.0
    alpha: float = 0.05
    covariates: list[str] = field(default_factory=lambda: list(PAPER_COVARIATES))
    seed: int = 20250101
    results_dir: str = "results"

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def confidence_level(self) -> float:
        return 1.0 - self.alpha

    @property
    def landmark_key(self) -> str:
        """Results key suffix for the landmark rate, e.g. ``rate_12m``."""
        lm = self.landmark_months
        return f"rate_{int(lm)}m" if float(lm).is_integer() else f"rate_{lm:g}m"


class ParameterError(ValueError):
    """A parameter name or value that the book cannot use."""


_EXPECTED_TYPES: dict[str, tuple[type, ...]] = {
    "data_path": (str,),
    "ae_path": (str, type(None)),
    "reference_group": (str,),
    "treatment_group": (str,),
    "map_path": (str, type(None)),
    "sheet": (str, type(None)),
    "landmark_months": (int, float),
    "landmark_analysis_months": (int, float),
    "alpha": (float,),
    "covariates": (list,),
    "seed": (int,),
    "results_dir": (str,),
}


#: Parameters whose value is text whatever it looks like: file names, a sheet's name and the arms'
#: labels (``-p reference_group 0`` is the label "0", as a group column of 0 and 1 writes it).
TEXT_PARAMETERS = tuple(name for name, types in _EXPECTED_TYPES.items() if str in types)
#: Text parameters that may be unset (``null``).
OPTIONAL_PARAMETERS = tuple(name for name, types in _EXPECTED_TYPES.items() if type(None) in types)


def _as_label(name: str, value: Any) -> Any:
    """A number given for a text parameter (YAML reads ``0`` as a number) as the text it was written as."""
    if name in TEXT_PARAMETERS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def make_parameters(overrides: dict[str, Any] | None = None) -> Parameters:
    """Defaults updated by ``overrides``, with names and types checked; a number given for a text
    parameter (a group label, a sheet) is its text."""
    overrides = {name: _as_label(name, value) for name, value in (overrides or {}).items()}
    for name in ("ae_path", "map_path", "sheet"):
        if overrides.get(name) == "":
            overrides[name] = None
    known = Parameters.names()
    unknown = [k for k in overrides if k not in known]
    if unknown:
        import difflib

        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1)
            hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ParameterError(
            "unknown parameter " + ", ".join(hints) + "; known parameters: " + ", ".join(known)
        )
    for name, value in overrides.items():
        expected = _EXPECTED_TYPES[name]
        if isinstance(value, bool) or not isinstance(value, expected):
            if name == "alpha" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
                overrides[name] = value
            else:
                want = " or ".join("null" if t is type(None) else t.__name__ for t in expected)
                raise ParameterError(
                    f"parameter '{name}' must be {want}, got {value!r} ({type(value).__name__})"
                )
        if name == "covariates" and not all(isinstance(c, str) for c in value):
            raise ParameterError("parameter 'covariates' must be a list of column names")
    params = Parameters(**overrides)
    if not 0 < params.alpha < 1:
        raise ParameterError(f"parameter 'alpha' must lie between 0 and 1, got {params.alpha}")
    if params.landmark_months <= 0:
        raise ParameterError(f"parameter 'landmark_months' must be positive, got {params.landmark_months}")
    if params.landmark_analysis_months <= 0:
        raise ParameterError(
            f"parameter 'landmark_analysis_months' must be positive, got {params.landmark_analysis_months}"
        )
    if params.reference_group == params.treatment_group:
        raise ParameterError("'reference_group' and 'treatment_group' must differ")
    return params
