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

# The German translations, compiled from the shipped catalogue (GNU gettext's msgfmt).
MO := locale/de/LC_MESSAGES/django.mo
$(MO): locale/de/LC_MESSAGES/django.po $(VENV)/.installed .env
	$(PY) manage.py compilemessages --ignore=$(VENV) --verbosity 0

install: $(VENV)/.installed .env $(MO)

# How long `make run` lets its processes finish on Ctrl-C or SIGTERM before it kills them (the
# task worker would otherwise wait for a running task up to its 180 s timeout).
STOP_SECONDS ?= 3

# The web server, the task worker and the local Cal.com sandbox the demo tenant books in, which
# sends its booking webhooks back here; Ctrl-C (or SIGTERM to make) stops all three. It prints
# the commands to try the demo from another terminal with the ports it serves on.
run: export DEBUG ?= true
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: export SERVE_DEMO = $(serve_demo)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --sandbox-url http://127.0.0.1:$(SANDBOX_PORT)/v2
	@echo ""
	@echo "  AskPro:  http://127.0.0.1:$(PORT)/admin/  (user: admin, password above)"
	@echo "  Cal.com sandbox: http://127.0.0.1:$(SANDBOX_PORT)/v2   worker: django-q2 qcluster"
	@echo "  MCP for AI agents: http://127.0.0.1:$(PORT)/mcp   (token: $(PY) manage.py create_mcp_token --company demo)"
	@echo "  Demo calls, from another terminal:"
	@echo "    $(PY) manage.py simulate_call --base-url http://127.0.0.1:$(PORT)"
	@echo "    $(PY) manage.py simulate_live_call --base-url http://127.0.0.1:$(PORT)"
	@echo ""
	@eval "$$SERVE_DEMO"

# The shell script behind `make run` (make expands $(...) in it; $$ is the shell's $). Each
# process leads its own process group (setsid), so stopping a group stops what the process
# started too: runserver's autoreloader child, the worker's sentinel and pool. The shell waits
# only in `wait`, which a signal interrupts at once; a foreground child would hold the trap back
# until it exited, which is how a SIGTERM to make used to leave everything running.
define serve_demo
set -u
groups=()
serve() { setsid "$$@" & groups+=("$$!"); }
any_alive() { local g; for g in "$${groups[@]}"; do kill -0 -- "-$$g" 2>/dev/null && return 0; done; return 1; }
stop() {
	# Ignore further signals until done: a second Ctrl-C, or the SIGHUPs of a closed terminal
	# (where the echo fails too), would otherwise end the shell before the services.
	trap '' INT TERM HUP
	trap - EXIT
	echo "Stopping the web server, the task worker and the sandbox ..." 2>/dev/null
	local g
	for g in "$${groups[@]}"; do
		# The worker's main process alone: it lets the pool finish the task at hand (SIGTERM to
		# its whole group would kill the pool mid-task). Everything else stops at once.
		if [ "$$g" = "$$worker" ]; then kill -TERM "$$g"; else kill -TERM -- "-$$g"; fi 2>/dev/null
	done
	local deadline=$$(( $${EPOCHREALTIME/[.,]/} + $(STOP_SECONDS) * 1000000 ))
	while any_alive && (( $${EPOCHREALTIME/[.,]/} < deadline )); do sleep 0.1; done
	for g in "$${groups[@]}"; do kill -KILL -- "-$$g" 2>/dev/null; done
	# End by the signal we got, so make reports an interrupt rather than a failed recipe.
	if [ -n "$$1" ]; then trap - "$$1"; kill -s "$$1" $$$$; fi
	exit 1
}
worker=""
for signal in INT TERM HUP; do trap "stop $$signal" "$$signal"; done
trap 'stop ""' EXIT
serve $(PY) manage.py calcom_sandbox --port $(SANDBOX_PORT)
serve $(PY) manage.py qcluster
worker=$$!
serve $(PY) manage.py connect_calcom_webhooks --company demo --wait 15
wait "$$!" || echo "  Cal.com webhooks not connected"
serve $(PY) manage.py runserver 127.0.0.1:$(PORT)
wait -n
endef

test: install
	$(VENV)/bin/pytest

# The caller scenarios alone (tests/scenarios/calls/*.json, played through the real endpoint
# against the in-process Cal.com sandbox), ending with their pass count; `make test` runs them too.
.PHONY: scenarios
scenarios: install
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/scenarios

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache
