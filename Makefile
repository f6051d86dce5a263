# AskPro: `make run` serves the demo, `make test` runs the suite. Both create .venv if needed.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SANDBOX_PORT ?= 8025

.PHONY: install run test lint clean

$(PY):
	@$(PYTHON) -c "import sys; assert sys.version_info >= (3, 11), 'Python >= 3.11 needed'"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	@touch $@

# A per-checkout development key, so `manage.py` works here without exporting anything.
# Production sets SECRET_KEY in its environment and never runs make.
.env:
	@$(PYTHON) -c "import secrets; print('SECRET_KEY=dev-' + secrets.token_urlsafe(40))" > .env
	@echo "wrote .env with a development SECRET_KEY"

install: $(VENV)/.installed .env

# The web server, the task worker and the local Cal.com sandbox the demo tenant books in, which
# sends its booking webhooks back here; Ctrl-C stops all three.
run: export DEBUG ?= true
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --sandbox-url http://127.0.0.1:$(SANDBOX_PORT)/v2
	@echo ""
	@echo "  AskPro:  http://127.0.0.1:$(PORT)/admin/  (user: admin, password above)"
	@echo "  Cal.com sandbox: http://127.0.0.1:$(SANDBOX_PORT)/v2   worker: django-q2 qcluster"
	@echo "  MCP for AI agents: http://127.0.0.1:$(PORT)/mcp   (token: .venv/bin/python manage.py create_mcp_token --company demo)"
	@echo ""
	@$(PY) manage.py calcom_sandbox --port $(SANDBOX_PORT) & sandbox=$$!; \
	$(PY) manage.py qcluster & worker=$$!; \
	trap 'kill $$sandbox $$worker 2>/dev/null; wait' INT TERM EXIT; \
	$(PY) manage.py connect_calcom_webhooks --company demo --wait 15 || echo "  Cal.com webhooks not connected"; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache
