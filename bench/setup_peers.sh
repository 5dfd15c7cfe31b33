#!/usr/bin/env bash
# A separate environment for the side-by-side benchmark (bench/compare_peers.py): SDV, MOSTLY AI's
# engine, sdmetrics and pgmpy next to an editable install of Simulacra, so the product's own
# virtualenv stays lean.
#
#     bash bench/setup_peers.sh            # creates bench/.venv-peers (gitignored)
#
# torch is installed FIRST and pinned to the CPU build on this machine's disk: SDV 2.x and
# mostlyai-engine depend on torch, and without the pin pip resolves a multi-gigabyte CUDA build; the
# pin is repeated beside mostlyai-engine so its resolver keeps that torch. mostlyai-engine pulls
# torchvision, which fails to import beside this torch and which its tabular model (TabularARGN)
# never uses: it is removed. SDV 2.x needs pandas < 3; Simulacra asks for pandas >= 2.2, so the
# product resolves to pandas 2.x here.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
VENV="${PEERS_VENV:-$HERE/.venv-peers}"
PYTHON="${PYTHON:-python3.11}"

"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --quiet)
"${PIP[@]}" --upgrade pip
"${PIP[@]}" "torch==2.13.0"
"${PIP[@]}" "pandas>=2.2,<3" "sdv>=1.20" "sdmetrics" "pgmpy"
"${PIP[@]}" "torch==2.13.0" "mostlyai-engine"
"$VENV/bin/python" -m pip uninstall --yes --quiet torchvision
"${PIP[@]}" -e "$REPO"
"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
for name in ("simulacra", "sdv", "mostlyai-engine", "sdmetrics", "pgmpy", "torch", "pandas", "numpy", "dowhy",
             "scikit-learn"):
    print(f"{name:14s} {md.version(name)}")
PY
