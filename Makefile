# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: setup ui run serve desktop deb test

setup:
	@bash scripts/setup.sh

# Builds the web UI into ui/dist.
ui: setup
	cd ui && npm run build

# The desktop app when there is a display, else Hooky headless in the foreground.
run: ui
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		cargo run --release -p hooky-desktop; \
	else \
		echo "No display: running Hooky headless; open the link it prints."; \
		cargo run --release -p hooky-cli -- serve; \
	fi

# Hooky headless: the engine and the web UI; open the link it prints.
serve: ui
	cargo run --release -p hooky-cli -- serve

# The desktop package, with the hooky CLI: target/release/bundle/deb/Hooky_<version>_amd64.deb
deb: ui
	@bash scripts/deb.sh

test: setup
	@bash scripts/test.sh
