#!/usr/bin/env bash
# Installs what the tests drive besides Python: Debian's chromium, PDF tools, and Redis
# (the rate limiter's shared store across worker processes).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# WeasyPrint (the proceedings PDF) draws text with Pango; its fonts ship in the package.
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-deps: please install ${missing[*]} (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "test-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Mozilla's ical.js (Thunderbird's parser) reads the calendars in tests/test_calendar*.py and
# axe-core checks pages in tests/browser/; pinned by tests/js/package-lock.json, installed into
# tests/js/node_modules (again whenever the lock file is newer than the installed tree).
js_dir="$(cd "$(dirname "$0")/../tests/js" && pwd)"
if [ ! -f "$js_dir/node_modules/.package-lock.json" ] \
  || [ "$js_dir/package-lock.json" -nt "$js_dir/node_modules/.package-lock.json" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "test-deps: please install nodejs and npm (apt-get install -y nodejs npm)" >&2
      exit 1
    fi
    echo "test-deps: installing nodejs and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "test-deps: installing ical.js and axe-core into tests/js/node_modules"
  npm ci --prefix "$js_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi
