# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: setup ui run serve test

setup:
	@bash scripts/setup.sh

# Builds the web UI into ui/dist when its sources are present.
ui: setup
	@if [ -f ui/package.json ]; then cd ui && npm run build; fi

# Runs Hooky headless and serves the UI; open the link it prints.
run serve: ui
	cargo run --release -p hooky-cli -- serve

test: setup
	@bash scripts/test.sh
