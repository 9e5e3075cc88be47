"""The project's own files install everything: pyproject, environment.yml,
constraints.txt and the pre-commit hooks agree, and the source notebooks carry no outputs."""

import json
import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    project = _pyproject()["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = [p for p in pip_section if not p.startswith("-e")]
    assert sorted(map(str, map(Requirement, listed))) == sorted(map(str, map(Requirement, declared)))
    assert "-e ." in pip_section


def test_constraints_pin_a_version_allowed_by_every_declared_range():
    project = _pyproject()["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    pins = _pins()
    for req in declared:
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])


def test_jupyter_book_is_pinned_below_version_2():
    pins = (ROOT / "constraints.txt").read_text()
    version = re.search(r"^jupyter-book==(\S+)$", pins, re.M).group(1)
    assert version.startswith("1.") and Requirement("jupyter-book>=1.0.4.post1").specifier.contains(version)


def test_source_notebooks_carry_no_outputs():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    for path in notebooks:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], f"{path.name} has stored outputs"
                assert cell["execution_count"] is None, f"{path.name} has execution counts"


def test_every_chapter_notebook_is_in_the_table_of_contents():
    toc = (ROOT / "book" / "_toc.yml").read_text()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"notebooks/{path.stem}" in toc, f"{path.name} is missing from book/_toc.yml"


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_pre_commit_hooks_run_the_pinned_versions():
    """The hooks' revs are the versions of constraints.txt, so a commit is linted and
    formatted as `make test` lints it."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    revs = {repo["repo"].rstrip("/").rsplit("/", 1)[-1]: repo["rev"] for repo in config["repos"]}
    pins = _pins()
    assert revs["ruff-pre-commit"] == f"v{pins['ruff']}"
    assert revs["nbstripout"] == pins["nbstripout"]
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "nbstripout"} <= hooks
