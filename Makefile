# Two commands on a fresh machine:
#   make book   create .venv, execute every chapter on the shipped data, render build/html/
#   make test   the whole test suite, lint included (sets up the environment first if needed)
# While editing:
#   make test-fast   every test that builds no whole book, drives no browser, calls no R
#                    and is not marked slow (pyproject.toml lists the markers)
#   make lint        ruff (rules and format) and import-linter's layers, as the tests run them
# For publishing:
#   make pdf            the book and its print edition: build/lcnec-book.pdf, a PDF per page
#   make publish-ready  public/: the HTML book with its PDFs, for any static host as it is

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= build
PUBLISH ?= public

.PHONY: book pdf publish-ready test test-fast lint env system-deps clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

env: $(STAMP)

book: env
	$(BIN)/lcnec build --out $(OUT)

# Debian's chromium prints the PDFs (lcnec says so when it is missing)
pdf: env
	$(BIN)/lcnec build --pdf --out $(OUT)

publish-ready: pdf
	$(BIN)/lcnec publish --out $(OUT) --to $(PUBLISH)

# R's survival package is the reference the numbers are checked against (mvtnorm
# checks the max-combo test's multivariate normal, cmprsk the cumulative incidences),
# Debian's chromium drives the browser tests and prints the PDFs, poppler-utils
# reads the PDFs back in the tests; all come from Debian's packages.
system-deps:
	@missing=""; \
	command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(survival)' >/dev/null 2>&1 || missing="$$missing r-base-core r-cran-survival"; \
	Rscript -e 'library(mvtnorm)' >/dev/null 2>&1 || missing="$$missing r-cran-mvtnorm"; \
	Rscript -e 'library(cmprsk)' >/dev/null 2>&1 || missing="$$missing r-cran-cmprsk"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "please install the Debian packages:$$missing (sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

test: env system-deps
	$(BIN)/python -m pytest

test-fast: env
	$(BIN)/python -m pytest -m "not book and not browser and not r and not slow"

lint: env
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/lint-imports

clean:
	rm -rf $(OUT) $(OUT)-failed $(PUBLISH) .pytest_cache
