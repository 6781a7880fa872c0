#!/usr/bin/env bash
# The whole test suite, from a fresh machine: checks formatting and vet,
# runs every test (unit, emulator integration, PostgreSQL, browser) and a
# short fuzz pass over the parsers of outside input.
set -euo pipefail
cd "$(dirname "$0")"

# Headless Chromium for the HTML report and dashboard browser tests.
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (browser tests)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
# Browser tests fail rather than skip when run through this script.
export CREDWATCH_REQUIRE_BROWSER=1

# PostgreSQL at 127.0.0.1:5432 (trust auth, database test) for the store
# suite; started, or installed and configured, when it is not answering.
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  echo "== starting PostgreSQL"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    sudo_ apt-get update -qq
    sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    sudo_ sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+(all|postgres)\s+)\S+/\1trust/' "$hba"
  fi
  sudo_ pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
fi
export CREDWATCH_REQUIRE_POSTGRES=1

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 ./...

# Short fuzz runs: a fixed number of inputs per target (a time limit can
# end a run mid-coverage and fail it spuriously on a loaded machine); corpora
# are kept in testdata/fuzz.
echo "== fuzz"
while read -r pkg target; do
  [ -n "$pkg" ] || continue
  go test -run '^$' -fuzz "^${target}\$" -fuzztime 2000x -fuzzminimizetime 100x "$pkg"
done < <(grep -rl --include='*_test.go' '^func Fuzz' internal | while read -r f; do
  for t in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "./$(dirname "$f") $t"
  done
done)
echo "== all tests passed"
