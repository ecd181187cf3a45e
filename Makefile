# The two commands of the README: `make demo` and `make test`.
# Everything they need that a fresh Debian machine lacks is installed here.

VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
DEMO     ?= auto

.PHONY: demo test lint unit bench mutate sysdeps sysdeps-test venv clean deb system-test

demo: sysdeps venv
	$(PY) scripts/demo.py --mode $(DEMO)

test: sysdeps-test venv lint unit

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: venv
	$(PY) -m pytest

bench: venv
	$(PY) bench/call_setup.py
	$(PY) bench/page_delivery.py
	$(PY) bench/receipt.py

# Mutation testing of the modules that carry the promises ([tool.mutmut] in pyproject.toml);
# long, so not part of `make test`. Survivors: `mutmut results`, explained in docs/TESTING.md.
mutate: sysdeps-test venv
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results

# The Debian packages (vw-common, vw-hub, vw-kiosk, vw-console) into var/deb/;
# DEB_VERSION=... builds another version.
deb:
	installer/build-deb.sh

# The packages built, checked by lintian and installed into a fresh Debian 12 root
# (debootstrap; needs root and the Debian mirror). Not part of `make test`.
system-test: sysdeps-test venv
	installer/system-packages.sh build
	$(PY) -m pytest tests/system --system --timeout=3600

sysdeps:
	installer/system-packages.sh runtime

sysdeps-test:
	installer/system-packages.sh test

venv: $(STAMP)

$(STAMP): pyproject.toml
	installer/system-packages.sh runtime
	@test -x $(PY) || "$$(installer/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
