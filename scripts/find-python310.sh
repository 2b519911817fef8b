#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.10): `python3.10` on PATH,
# then pyenv's versions, then $PYTHON310. Exit 1 with a clear message when there is none.
set -euo pipefail

works() { "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; }

candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  root="$(pyenv root)"
  for p in "$root"/versions/3.10*/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
fi
for p in "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -x "$p" ] && candidates+=("$p")
done

for p in "${candidates[@]}"; do
  if works "$p"; then echo "$p"; exit 0; fi
done

cat >&2 <<'MSG'
error: Python 3.10 was not found, and Rasa 3.6 needs it (it does not install on 3.11).
Install it, for example with `pyenv install 3.10` or your system's python3.10 package,
or point PYTHON310 at an interpreter: `make setup PYTHON310=/path/to/python3.10`.
MSG
exit 1
