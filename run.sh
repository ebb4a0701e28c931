#!/usr/bin/env bash
# The two commands of alliance-qa (see README.md):
#   ./run.sh [serve options]   install what is missing, then start the service on http://127.0.0.1:8000
#   ./run.sh test [pytest options]   install what is missing (and Chromium), then run the tests
set -euo pipefail
cd "$(dirname "$0")"

mode=serve
if [ "${1:-}" = "test" ] || [ "${1:-}" = "serve" ]; then mode=$1; shift; fi

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || { echo "run.sh: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

venv=.venv
[ -x "$venv/bin/python" ] || { echo "run.sh: creating $venv"; "$python" -m venv "$venv"; }
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# One install for both commands (the test tools are small beside torch), so `./run.sh` and `./run.sh test` never
# reinstall after each other; a changed pyproject.toml changes the stamp and installs again.
stamp="$venv/.installed-$(sha256sum < pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "run.sh: installing dependencies into $venv (once; later runs skip this)"
  rm -f "$venv"/.installed-*
  "${pip[@]}" install -q --upgrade pip
  # The CPU build of PyTorch first: without it, sentence-transformers pulls a multi-GB CUDA build.
  "${pip[@]}" install -q torch==2.13.0
  # setuptools warns on every editable install that folders named like the packages shadow them: here that is the
  # point of an editable install, and the warning reads like a fault to a new user.
  PYTHONWARNINGS="ignore:Editable installation" "${pip[@]}" install -q -e ".[test]"
  touch "$stamp"
fi

if [ "$mode" = serve ]; then
  exec "$venv/bin/alliance-qa" serve "$@"
fi

# Browser tests need Debian's Chromium and ChromeDriver; a missing browser must fail the run, not skip tests.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "run.sh: installing chromium and chromium-driver"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium chromium-driver >/dev/null
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$venv/bin/python" -m pytest "$@"
