#!/usr/bin/env bash
# Installs what the tests drive besides Python: Debian's chromium and PDF tools.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# WeasyPrint (the proceedings PDF) draws text with Pango; its fonts ship in the package.
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-deps: please install ${missing[*]} (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "test-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
