# The README's commands. Everything they need goes into the project's .venv (Python tools) and
# target/ (Rust); nothing is installed globally.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
# cargo-lambda finds Zig through `python3 -m ziglang`: the venv's python3 must come first.
export PATH := $(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
export AWS_EC2_METADATA_DISABLED := true

WATCH_PORT ?= 9000
WEBHOOK := http://localhost:$(WATCH_PORT)/lambda-url/redirect-call/redirect_call
EXAMPLE_CALL_SID := CA0123456789abcdef0123456789abcdef
EXAMPLE_NUMBER := %2B14155550123

.PHONY: help run test cases venv clean

help:
	@echo "make run    serve the webhook locally with cargo lambda watch (port $(WATCH_PORT))"
	@echo "make test   run every test"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## run: build, print example requests, serve the webhook with `cargo lambda watch`.
run: venv
	cargo build --quiet --bin redirect-call
	@echo
	@echo "Serving the webhook at $(WEBHOOK)"
	@echo "Try, from another terminal:"
	@echo
	@echo "  # Twilio's default: POST with a form body"
	@echo "  curl -i -X POST '$(WEBHOOK)' \\"
	@echo "    -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \\"
	@echo "    --data 'CallSid=$(EXAMPLE_CALL_SID)&Called=$(EXAMPLE_NUMBER)&Direction=inbound'"
	@echo
	@echo "  # GET with the parameters in the query"
	@echo "  curl -i '$(WEBHOOK)?CallSid=$(EXAMPLE_CALL_SID)&Called=$(EXAMPLE_NUMBER)'"
	@echo
	cargo lambda watch --invoke-port $(WATCH_PORT)

## test: every test, as CI runs it.
test: venv
	python scripts/redirect_call_cases.py --check
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked
	sam validate --lint
	cfn-lint template.yaml

## cases: rewrite events/redirect-call/ from scripts/redirect_call_cases.py.
cases: venv
	python scripts/redirect_call_cases.py

clean:
	rm -rf .aws-sam target/lambda
