# Keuzespiegel: few targets on purpose. See README.md.
.PHONY: run test shell bench-nlu bench-dashboard bench-pupils bench-model bench-soak bench-qa

run:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m bot run

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
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_model.py > /dev/null && echo "wrote docs/bench/model.md"

bench-soak:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python scripts/bench_soak.py

bench-qa:
	@scripts/setup.sh
	@RASA_TELEMETRY_ENABLED=false .venv/bin/python -m scripts.bench_qa
