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
# Loopback only: `cargo lambda invoke` sends to ::1 by default. Without IPv6: WATCH_ADDRESS=127.0.0.1
# (and `cargo lambda invoke --invoke-address 127.0.0.1`).
WATCH_ADDRESS ?= ::1
MOTO_PORT ?= 5055
# What cargo lambda watch serves redirect-call under: the function's PUBLIC_BASE_URL locally, so
# the signed URL and the Dial's action and referUrl name the routes it answers.
LOCAL_BASE_URL := http://localhost:$(WATCH_PORT)/lambda-url/redirect-call
WEBHOOK := $(LOCAL_BASE_URL)/redirect_call
EXAMPLE_CALL_SID := CA0123456789abcdef0123456789abcdef
EXAMPLE_NUMBER := %2B14155550123
# Local only: a throwaway token for the secret `make run` seeds into moto_server.
LOCAL_AUTH_TOKEN := local-dev-auth-token-not-a-secret
LOCAL_SECRET_ID := synthflow-sip-bridge/local/twilio
# `make run-provision`: the fake Synthflow API and the local secrets it is reached with.
FAKE_SYNTHFLOW_PORT ?= 8181
LOCAL_SYNTHFLOW_API_KEY := local-synthflow-key-not-a-secret
LOCAL_WORKSPACE_ID := ws_local
LOCAL_SYNTHFLOW_SECRET_ID := synthflow-sip-bridge/local/synthflow
# `make run`: the call-context table and token in moto_server.
LOCAL_CONTEXT_TABLE := synthflow-sip-bridge-local-call-context
LOCAL_CONTEXT_SECRET_ID := synthflow-sip-bridge/local/call-context
LOCAL_CONTEXT_TOKEN := local-call-context-token-not-a-secret-0123456789
CALL_CONTEXT_URL := http://localhost:$(WATCH_PORT)/lambda-url/call-context/call_context
# Named by events/provision.json.
LOCAL_TRUNK_SECRET_ID := synthflow-sip-bridge/local/trunk

.PHONY: help run run-unsigned test bench cases venv rust-target clean

help:
	@echo "make run           serve the webhook and call-context locally (cargo lambda watch, port"
	@echo "                   $(WATCH_PORT)), signature validation on, secrets and the call-context"
	@echo "                   table in a local moto_server"
	@echo "make run-unsigned  the same without signature validation or moto_server"
	@echo "make test          run every test"
	@echo "make run-provision the provision function under cargo lambda watch, against a fake"
	@echo "                   Synthflow API (port $(FAKE_SYNTHFLOW_PORT)) and secrets in moto_server"
	@echo "make bench         cold start, warm cost, memory and size beside a baseline"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## rust-target: the arm64 standard library for the pinned toolchain, which `sam build` and
## `make bench` cross-compile with. Installed once here, before any build needs it.
rust-target:
	python3 scripts/rust_target.py --target aarch64-unknown-linux-gnu

## run: a local Secrets Manager and DynamoDB (moto_server) seeded with a Twilio secret, the
## call-context token and table, example requests signed with the Twilio token, and the webhook
## and call-context served by `cargo lambda watch` against it.
run: venv
	cargo build --quiet --bin redirect-call --bin call-context
	python scripts/local_webhook.py ports-free $(WATCH_PORT) $(MOTO_PORT)
	moto_server -H 127.0.0.1 -p $(MOTO_PORT) > $(VENV)/moto_server-$(MOTO_PORT).log 2>&1 & moto=$$!; \
	trap 'kill $$moto 2>/dev/null' EXIT INT TERM; \
	python scripts/local_webhook.py seed --endpoint http://127.0.0.1:$(MOTO_PORT) \
	  --secret-id $(LOCAL_SECRET_ID) --token $(LOCAL_AUTH_TOKEN) --table $(LOCAL_CONTEXT_TABLE) \
	  --context-secret-id $(LOCAL_CONTEXT_SECRET_ID) --context-token $(LOCAL_CONTEXT_TOKEN); \
	echo; echo "Serving the webhook at $(WEBHOOK)"; \
	echo "and the call context at $(CALL_CONTEXT_URL)"; \
	echo "(signature validation on; secrets and table $(LOCAL_CONTEXT_TABLE) in moto_server on port $(MOTO_PORT))"; \
	echo "Try, from another terminal:"; echo; \
	python scripts/local_webhook.py examples --url $(WEBHOOK) --token $(LOCAL_AUTH_TOKEN) \
	  --context-url $(CALL_CONTEXT_URL) --context-token $(LOCAL_CONTEXT_TOKEN); echo; \
	AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:$(MOTO_PORT) AWS_ACCESS_KEY_ID=test \
	AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$(MOTO_PORT) \
	CALL_CONTEXT_TABLE=$(LOCAL_CONTEXT_TABLE) CALL_CONTEXT_SECRET_ID=$(LOCAL_CONTEXT_SECRET_ID) \
	AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 TWILIO_SECRET_ID=$(LOCAL_SECRET_ID) \
	PUBLIC_BASE_URL=$(LOCAL_BASE_URL) \
	cargo lambda watch --invoke-address $(WATCH_ADDRESS) --invoke-port $(WATCH_PORT)

## run-unsigned: the webhook without signature validation (no secret, no AWS at all).
run-unsigned: venv
	cargo build --quiet --bin redirect-call
	@echo
	@echo "Serving the webhook at $(WEBHOOK) (signature validation OFF)"
	@echo "Try, from another terminal:"
	@echo
	@echo "  curl -i -X POST '$(WEBHOOK)' \\"
	@echo "    -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \\"
	@echo "    --data 'CallSid=$(EXAMPLE_CALL_SID)&Called=$(EXAMPLE_NUMBER)&Direction=inbound'"
	@echo "  curl -i '$(WEBHOOK)?CallSid=$(EXAMPLE_CALL_SID)&Called=$(EXAMPLE_NUMBER)'"
	@echo
	python scripts/local_webhook.py ports-free $(WATCH_PORT)
	TWILIO_SIGNATURE_VALIDATION=off PUBLIC_BASE_URL=$(LOCAL_BASE_URL) \
	  cargo lambda watch --invoke-address $(WATCH_ADDRESS) --invoke-port $(WATCH_PORT)

## run-provision: the fake Synthflow API, a local Secrets Manager (moto_server) seeded with
## the credentials for it, and `cargo lambda watch`; invoke from another terminal.
.PHONY: run-provision
run-provision: venv
	cargo build --quiet --bin provision --bin fake-synthflow
	python scripts/local_webhook.py ports-free $(WATCH_PORT) $(MOTO_PORT) $(FAKE_SYNTHFLOW_PORT)
	moto_server -H 127.0.0.1 -p $(MOTO_PORT) > $(VENV)/moto_server-$(MOTO_PORT).log 2>&1 & moto=$$!; \
	target/debug/fake-synthflow --port $(FAKE_SYNTHFLOW_PORT) --api-key $(LOCAL_SYNTHFLOW_API_KEY) \
	  --workspace-id $(LOCAL_WORKSPACE_ID) > $(VENV)/fake-synthflow-$(FAKE_SYNTHFLOW_PORT).log 2>&1 & fake=$$!; \
	trap 'kill $$moto $$fake 2>/dev/null' EXIT INT TERM; \
	python scripts/local_provision.py --endpoint http://127.0.0.1:$(MOTO_PORT) \
	  --synthflow-secret-id $(LOCAL_SYNTHFLOW_SECRET_ID) --api-key $(LOCAL_SYNTHFLOW_API_KEY) \
	  --workspace-id $(LOCAL_WORKSPACE_ID) --trunk-secret-id $(LOCAL_TRUNK_SECRET_ID); \
	echo; echo "provision runs against the fake Synthflow API at http://127.0.0.1:$(FAKE_SYNTHFLOW_PORT)/v2"; \
	echo "Try, from another terminal:"; echo; \
	echo "  source .venv/bin/activate"; \
	echo "  cargo lambda invoke provision --invoke-address $(WATCH_ADDRESS) --invoke-port $(WATCH_PORT) --data-file events/provision.json"; \
	echo "  curl -s http://127.0.0.1:$(FAKE_SYNTHFLOW_PORT)/__fake/requests   # what Synthflow received"; echo; \
	AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:$(MOTO_PORT) AWS_ACCESS_KEY_ID=test \
	AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
	SYNTHFLOW_SECRET_ID=$(LOCAL_SYNTHFLOW_SECRET_ID) \
	SYNTHFLOW_API_BASE=http://127.0.0.1:$(FAKE_SYNTHFLOW_PORT)/v2 \
	cargo lambda watch --invoke-address $(WATCH_ADDRESS) --invoke-port $(WATCH_PORT)

## test: every test, as CI runs it: fast checks first, the arm64 build last.
test: venv rust-target
	python -m py_compile scripts/*.py
	python scripts/redirect_call_cases.py --check
	actionlint -shellcheck shellcheck
	sam validate --lint
	cfn-lint template.yaml
	python scripts/check_template.py
	python scripts/check_template.py --self-test
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked
	sam build
	python scripts/check_bootstraps.py

## bench: release builds (host for timings, arm64 + zip for sizes), criterion's warm cost, then
## cold starts, memory and sizes beside bench-baseline, printed as Markdown tables.
BENCH_COLD_RUNS ?= 40
BENCH_INVOCATIONS ?= 10000
BENCH_LAMBDA_DIR := target/lambda-bench
BENCH_BINS := --bin redirect-call --bin provision --bin call-context --bin bench-baseline
bench: venv rust-target
	cargo build --release --locked $(BENCH_BINS) --bin bench
	rm -rf $(BENCH_LAMBDA_DIR) target/criterion/warm
	cargo lambda build --release --arm64 --locked $(BENCH_BINS) --lambda-dir $(BENCH_LAMBDA_DIR)
	cargo lambda build --release --arm64 --locked $(BENCH_BINS) --lambda-dir $(BENCH_LAMBDA_DIR) \
	  --output-format zip
	cargo bench --locked -p bench --bench warm
	target/release/bench --cold-runs $(BENCH_COLD_RUNS) --invocations $(BENCH_INVOCATIONS) \
	  --lambda-dir $(BENCH_LAMBDA_DIR)

## cases: rewrite events/redirect-call/ from scripts/redirect_call_cases.py.
cases: venv
	python scripts/redirect_call_cases.py

clean:
	rm -rf .aws-sam target/lambda
