# Switchboard — the two commands a new user needs:
#   make run    installs what is missing, builds and launches the app
#   make test   installs what is missing, then runs every test suite
# Also: make bench (benchmarks), make bindings (regenerate the UI's TypeScript types).
.PHONY: run test bench bindings ui app

run:
	@scripts/bootstrap
	@$(MAKE) --no-print-directory ui app
	@scripts/run-app

test:
	@scripts/test

ui:
	@cd ui && npm run build --silent

app: ui
	@cargo build --bin switchboard

bindings:
	@UPDATE_BINDINGS=1 cargo test --test it bindings -- --quiet
