#!/usr/bin/env bash
# Extracts every French message id and merges it into the Dutch and English catalogues.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/pybabel" extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_pgettext:1c,2 --no-location \
  --sort-output -o eventapp/translations/messages.pot .
for lang in nl en; do
  if [ -f "eventapp/translations/$lang/LC_MESSAGES/messages.po" ]; then
    "$BIN/pybabel" update --no-fuzzy-matching -i eventapp/translations/messages.pot \
      -d eventapp/translations -l "$lang"
  else
    "$BIN/pybabel" init -i eventapp/translations/messages.pot -d eventapp/translations -l "$lang"
  fi
done
