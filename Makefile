.PHONY: help test lint goldens schema bench docs tutorial
help:            ## list targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'
test:            ## run the test suite
	python -m pytest -q
lint:            ## ruff (pyflakes, pycodestyle, bugbear, pyupgrade, simplify, complexity) and mypy --strict
	ruff check polyflow_argo tests
	mypy polyflow_argo
goldens:         ## regenerate golden files (review the diff like code)
	python -m pytest tests/test_golden.py tests/translate/test_url_templates.py -q --update-goldens
bench:           ## benchmarks: medians of interleaved rounds, ours vs Hera and vs bare Python (docs/performance.md)
	python benchmarks/bench_load.py
	python benchmarks/bench_compile.py
docs:            ## regenerate docs/errors.md from the code catalogs (*/codes.py, source_codes.py)
	python scripts/errors_doc.py
tutorial:        ## rerun every command of docs/tutorial.md and rewrite the outputs shown (review the diff)
	python -m tests.test_tutorial --update
