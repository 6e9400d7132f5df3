# Switchboard — the two commands a new user needs:
#   make run    installs what is missing, builds and launches the app
#   make test   installs what is missing, then runs every test suite (make check first)
# Also: make check (rustfmt, clippy with warnings denied, Rust unit tests, UI type check; < 1 min warm),
#   make bench (benchmarks), make bindings (regenerate the UI's TypeScript types and the IPC contract files),
#   make soak (the fault-injection soak at full length: 1000 create → stream → end cycles).
.PHONY: run test check bench bindings ui app soak

run:
	@scripts/bootstrap
	@$(MAKE) --no-print-directory ui app
	@scripts/run-app

test:
	@scripts/test

check:
	@scripts/check

ui:
	@cd ui && npm run build --silent

app: ui
	@cargo build --bin switchboard

# QUICK=1: smaller sizes, same code (~3 min; full: 20–30 min); QUICK=smoke: seconds, checks the harness only.
bench:
	@QUICK=$(QUICK) scripts/bench

bindings:
	@UPDATE_BINDINGS=1 cargo test --test it -- --quiet bindings contract::contract_files

# The soak at its full length (make test runs it with 150 cycles).
soak:
	@SWITCHBOARD_SOAK_CYCLES=1000 cargo test -p switchboard-core --test it faults::soak -- --nocapture
