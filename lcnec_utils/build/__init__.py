"""Building the book: validate, execute the chapters (cached, in parallel), merge the results, render, swap into place.

Nothing below this layer imports it: a change here never re-executes a chapter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.build.cache import (
        CACHE_FORMAT,
        PROJECT_ROOT,
        NotebookCache,
        analysis_parameters,
        cache_dir,
        canonical_json,
        environment_fingerprint,
        modules_digest,
        notebook_key,
        package_data_digest,
        tree_digest,
    )
    from lcnec_utils.build.chapters import (
        BOOK_DIR,
        FRAGMENTS_REL,
        NOTEBOOKS_DIR,
        BuildError,
        ChapterExecution,
        ChapterPlan,
        chapter_notebooks,
        default_jobs,
        execute_chapters,
        execution_order,
        injected_parameters,
        plan_chapters,
        results_dir,
        runs_after_chapters,
        start_pool,
    )
    from lcnec_utils.build.executor import (
        ENGINES,
        PARAMETER_TAGS,
        PRELOAD,
        CellError,
        WarmEngine,
        hide_parameter_cells,
        init_worker,
        ping,
        run_notebook,
    )
    from lcnec_utils.build.imports import (
        PACKAGE,
        PACKAGE_DIR,
        imported_modules,
        module_closure,
        module_file,
        notebook_code,
        notebook_modules,
    )
    from lcnec_utils.build.pipeline import (
        BUILD_RECORD,
        DEFAULT_OUT,
        BuildResult,
        ChapterRun,
        EarlyWorkers,
        build,
        build_environment,
        build_key,
        render_book,
        resolve_parameters,
        swap_into_place,
        validate_data,
        validation_key,
        vendor_mathjax,
        write_reproducibility_page,
    )
    from lcnec_utils.build.reproducibility import (
        KEY_PACKAGES,
        package_versions,
        rebuild_command,
        reproducibility_markdown,
    )
    from lcnec_utils.build.sweep import (
        HEADLINE_PATTERNS,
        LANDMARK_HEADLINES,
        SweepError,
        analyse_point,
        ensemble_table,
        grid_points,
        joblib_backend,
        read_grid,
        run_sweep,
        write_sweep,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.build.cache": (
            "CACHE_FORMAT",
            "NotebookCache",
            "PROJECT_ROOT",
            "analysis_parameters",
            "cache_dir",
            "canonical_json",
            "environment_fingerprint",
            "modules_digest",
            "notebook_key",
            "package_data_digest",
            "tree_digest",
        ),
        "lcnec_utils.build.chapters": (
            "BOOK_DIR",
            "BuildError",
            "ChapterExecution",
            "ChapterPlan",
            "FRAGMENTS_REL",
            "NOTEBOOKS_DIR",
            "chapter_notebooks",
            "default_jobs",
            "execute_chapters",
            "execution_order",
            "injected_parameters",
            "plan_chapters",
            "results_dir",
            "runs_after_chapters",
            "start_pool",
        ),
        "lcnec_utils.build.executor": (
            "CellError",
            "ENGINES",
            "PARAMETER_TAGS",
            "PRELOAD",
            "WarmEngine",
            "hide_parameter_cells",
            "init_worker",
            "ping",
            "run_notebook",
        ),
        "lcnec_utils.build.imports": (
            "PACKAGE",
            "PACKAGE_DIR",
            "imported_modules",
            "module_closure",
            "module_file",
            "notebook_code",
            "notebook_modules",
        ),
        "lcnec_utils.build.pipeline": (
            "BUILD_RECORD",
            "BuildResult",
            "ChapterRun",
            "DEFAULT_OUT",
            "EarlyWorkers",
            "build",
            "build_environment",
            "build_key",
            "render_book",
            "resolve_parameters",
            "swap_into_place",
            "validate_data",
            "validation_key",
            "vendor_mathjax",
            "write_reproducibility_page",
        ),
        "lcnec_utils.build.reproducibility": (
            "KEY_PACKAGES",
            "package_versions",
            "rebuild_command",
            "reproducibility_markdown",
        ),
        "lcnec_utils.build.sweep": (
            "HEADLINE_PATTERNS",
            "LANDMARK_HEADLINES",
            "SweepError",
            "analyse_point",
            "ensemble_table",
            "grid_points",
            "joblib_backend",
            "read_grid",
            "run_sweep",
            "write_sweep",
        ),
    },
)
