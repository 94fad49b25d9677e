# Two commands do everything on a fresh clone:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
GANMASH := $(VENV)/bin/ganmash
# torch first, so no other package pulls its own: a local CPU wheel on our machines, PyPI's default (CUDA on
# Linux, ~3 GB) elsewhere. A CPU-only build anywhere: make venv TORCH_INDEX=https://download.pytorch.org/whl/cpu
# For a CUDA machine:
#   make venv TORCH_SPEC=torch==2.13.0 TORCH_INDEX=https://download.pytorch.org/whl/cu128
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
SHARED_MUSCIMA_PP ?= ../shared/muscima-pp/v1.0
DEMO_OUT ?= demo_out
STAMP := $(VENV)/.ganmash-installed

SMASHCIMA_STAMP := $(VENV)/.ganmash-smashcima-installed
OPENCV_CONTRIB ?= opencv-contrib-python>=4.8,<5

.PHONY: venv venv-smashcima data test demo bench clean

venv: $(STAMP)

# The optional Smashcima backend, on top of `make venv`. opencv-contrib-python goes in last and owns cv2/
# (mashcima's opencv-python and albumentations' opencv-python-headless write the same files; contrib's are a
# superset); tests/test_smashcima.py checks that cv2 is contrib's and that mashcima and smashcima both run.
venv-smashcima: $(SMASHCIMA_STAMP)

$(SMASHCIMA_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[test,smashcima]' 2>&1 | grep -v 'DEPRECATION: mashcima' || true
	$(PY) -m pip install -q --force-reinstall --no-deps '$(OPENCV_CONTRIB)'
	$(PY) -c "import cv2, mashcima, smashcima; cv2.ximgproc.thinning"
	touch $@

# pip<24.1: newer pip (and uv) reject mashcima 1.0.0's malformed metadata.
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q 'pip<24.1'
	$(PY) -m pip install -q '$(TORCH_SPEC)' $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -e '.[test]' 2>&1 | grep -v 'DEPRECATION: mashcima' || true
	$(PY) -c "import torch, mashcima, ganwriting_mashcima"
	touch $@

# Point ./data/muscima-pp/v1.0 at the shared copy when there is one (the data is never copied in).
data:
	@if [ ! -e data/muscima-pp/v1.0 ] && [ -d "$(SHARED_MUSCIMA_PP)" ]; then \
		mkdir -p data/muscima-pp && ln -sfn "$$(cd "$(SHARED_MUSCIMA_PP)" && pwd)" data/muscima-pp/v1.0; \
		echo "data/muscima-pp/v1.0 -> $(SHARED_MUSCIMA_PP)"; fi

test: venv data
	$(PY) -m pytest -q

demo: venv data
	mkdir -p $(DEMO_OUT)
	$(GANMASH) data info > $(DEMO_OUT)/data_info.txt
	head -n 4 $(DEMO_OUT)/data_info.txt
	@echo "== the product: the packaged GAN =="
	$(GANMASH) sample --out $(DEMO_OUT)/generated_glyphs.png --per-class 8 --overwrite
	$(GANMASH) synthesize-staves --ratio 0.5 --count 6 --mode beauty --out $(DEMO_OUT)/staves --overwrite
	$(GANMASH) synthesize-staves sheet $(DEMO_OUT)/staves --out $(DEMO_OUT)/staves.png --overwrite
	@echo "== pipeline check: every stage at toy size (its GAN trains for seconds and draws noise) =="
	$(GANMASH) data extract --out $(DEMO_OUT)/pipeline/glyphs --overwrite
	$(GANMASH) data show $(DEMO_OUT)/pipeline/glyphs --out $(DEMO_OUT)/pipeline/real_glyphs.png --overwrite
	$(GANMASH) train --data $(DEMO_OUT)/pipeline/glyphs --out $(DEMO_OUT)/pipeline/run --preset cpu-smoke \
		--device auto --overwrite
	$(GANMASH) sample --checkpoint $(DEMO_OUT)/pipeline/run/latest.pt --out $(DEMO_OUT)/pipeline/smoke_glyphs.png \
		--per-class 8 --overwrite
	$(GANMASH) benchmark staves --preset smoke --checkpoint $(DEMO_OUT)/pipeline/run/latest.pt --workers 1 \
		--out $(DEMO_OUT)/pipeline/bench-staves --work $(DEMO_OUT)/pipeline/bench-staves-work --overwrite
	@echo
	@echo "demo outputs are in $(DEMO_OUT)/; start with staves.png:"
	@echo "  staves.png             6 Mashcima staves, half the glyph draws by the packaged GAN (captions: counts)"
	@echo "  generated_glyphs.png   glyphs of every class from the packaged GAN, random training writers"
	@echo "  staves/                those staves (images/, manifest.jsonl, config.json)"
	@echo "  data_info.txt          where MUSCIMA++ was found, objects per class and writer"
	@echo "  pipeline/              the pipeline at toy size, not results: glyph set and its contact sheet,"
	@echo "                         a cpu-smoke GAN (32 steps of training: noise), its glyphs, and the staff-"
	@echo "                         recognition benchmark at smoke size (SER ~1; results/ has the real runs)"

bench: venv data
	$(PY) -m experiments.bench_loading

clean:
	rm -rf $(DEMO_OUT) .pytest_cache
