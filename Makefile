# Keuzespiegel: few targets on purpose. See README.md.
.PHONY: run run-cluster test shell bench-nlu bench-dashboard bench-pupils bench-model bench-soak bench-qa bench-load

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

bench-model:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_model.py > /dev/null && echo "wrote docs/bench/model.md"

bench-soak:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_soak.py

bench-qa:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m scripts.bench_qa

bench-load:
	@scripts/setup.sh
	@scripts/services.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m bot.plugins.rasa_main train --domain domain --out models
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_load.py
