# Keuzespiegel: few targets on purpose. See README.md.
.PHONY: run run-cluster test shell bench-nlu bench-dashboard bench-pupils bench-load

run:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m bot run

run-cluster:
	@scripts/setup.sh
	@scripts/services.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m bot cluster

test:
	@scripts/test.sh

shell:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m bot shell

bench-nlu:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_nlu.py

bench-dashboard:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_dashboard.py

bench-pupils:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m scripts.bench_pupils

bench-load:
	@scripts/setup.sh
	@scripts/services.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/rasa train --out models
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_load.py
