#!/usr/bin/env bash
# Runs every test: the HTTP and unit tests on SQLite and on PostgreSQL, then the browser journeys
# in Chromium on both. Installs what the tests need when it is missing and it can (Debian, as root or with
# sudo); otherwise says what to install. With CI=true a missing browser or database fails the run.
# LibreOffice (soffice) checks that exported spreadsheets (the official statistics form) open and
# print; with CI=true that test fails when LibreOffice is missing.
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
ci=false
case "${CI:-}" in true|TRUE|True|1) ci=true ;; esac

say() { printf '%s\n' "$*" >&2; }

# --- what the tests need from the machine -----------------------------------------------------
missing_packages() {
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || need+=(fonts-wqy-zenhei)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
  # The service-record certificate is printed to PDF by Chromium and turned into a PNG to be looked at.
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  # The platform is run behind nginx as a reverse proxy (ReverseProxyTests).
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
  echo "${need[@]:-}"
}

need=$(missing_packages)
if [ -n "$need" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    as_root=""
    if [ "$(id -u)" -ne 0 ]; then
      if sudo -n true 2>/dev/null; then as_root="sudo"; else as_root="none"; fi
    fi
    if [ "$as_root" != "none" ]; then
      say "Installing: $need"
      $as_root apt-get update -qq >/dev/null
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq $need >/dev/null || say "apt-get could not install: $need"
    fi
  fi
  need=$(missing_packages)
  if [ -n "$need" ]; then
    say "Missing: $need. Install with: sudo apt-get install -y $need"
    if [ "$ci" = true ]; then
      say "CI=true: the browser, PostgreSQL and LibreOffice tests cannot be skipped."
      echo "0 passed, 1 failed"
      exit 1
    fi
  fi
fi

# --- a throwaway PostgreSQL on 127.0.0.1 ------------------------------------------------------
pg_port=55432
pg_dir=""
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
stop_postgres() {
  if [ -n "$pg_dir" ]; then
    as_postgres "$pg_bin/pg_ctl -D $pg_dir/data -m fast stop" >/dev/null 2>&1
    rm -rf "$pg_dir"
  fi
}
trap stop_postgres EXIT

if [ -n "$pg_bin" ]; then
  while (echo >"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; do pg_port=$((pg_port + 1)); done
  pg_dir=$(mktemp -d /tmp/zhiyuan-pg.XXXXXX)
  chmod 755 "$pg_dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
  if as_postgres "$pg_bin/initdb -D $pg_dir/data -U postgres -A trust -E UTF8 --locale=C.UTF-8" >"$pg_dir/initdb.log" 2>&1 &&
     as_postgres "$pg_bin/pg_ctl -D $pg_dir/data -o '-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off' -l $pg_dir/log -w start" >/dev/null; then
    say "PostgreSQL is running on 127.0.0.1:$pg_port"
  else
    say "PostgreSQL could not be started:"; cat "$pg_dir"/initdb.log "$pg_dir"/log >&2 2>/dev/null
    pg_bin=""
  fi
fi
if [ -z "$pg_bin" ] && [ "$ci" = true ]; then
  say "CI=true: PostgreSQL is required."
  echo "0 passed, 1 failed"
  exit 1
fi

# --- build once, then run each pass -----------------------------------------------------------
passed=0; failed=0; skipped=0; status=0
# The tools of .config/dotnet-tools.json: Kiota generates the API client that GeneratedClientTests compiles and runs.
if ! dotnet tool restore >/dev/null; then
  say "dotnet tool restore failed: the generated-client test cannot run."
  [ "$ci" = true ] && { echo "0 passed, 1 failed"; exit 1; }
fi
if ! dotnet build Zhiyuan.slnx -nologo -v q; then
  echo "0 passed, 1 failed"
  exit 1
fi

run_tests() { # name, project, environment…
  local name=$1 project=$2; shift 2
  local log; log=$(mktemp)
  say ""; say "=== $name ==="
  env "$@" dotnet test "$project" --no-build -nologo --results-directory "$root/TestResults" 2>&1 | tee "$log" |
    grep -E -A3 '^\s+(Failed|Skipped) |Passed!|Failed!|error (CS|MSB)' | grep -v -E '^--$' >&2
  local code=${PIPESTATUS[0]}
  local line; line=$(grep -E '(Passed|Failed)! +- ' "$log" | tail -1)
  if [ -n "$line" ]; then
    passed=$((passed + $(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.*Failed: *([0-9]+), Passed.*/\1/' <<<"$line")))
    skipped=$((skipped + $(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")))
  elif [ "$code" -ne 0 ]; then
    failed=$((failed + 1))
  fi
  [ "$code" -eq 0 ] || status=1
  rm -f "$log"
}

run_tests "HTTP and unit tests on SQLite" tests/Zhiyuan.Tests ZHIYUAN_TEST_PROVIDER=Sqlite
if [ -n "$pg_bin" ]; then
  run_tests "HTTP and unit tests on PostgreSQL" tests/Zhiyuan.Tests ZHIYUAN_TEST_PROVIDER=Postgres \
    "ZHIYUAN_TEST_POSTGRES=Host=127.0.0.1;Port=$pg_port;Username=postgres;Maximum Pool Size=20"
else
  say "PostgreSQL is not installed: the PostgreSQL pass is skipped."
fi
run_tests "Browser journeys in Chromium on SQLite" tests/Zhiyuan.BrowserTests ZHIYUAN_TEST_PROVIDER=Sqlite
# The production database too: a page that works on SQLite can still fail on PostgreSQL.
if [ -n "$pg_bin" ]; then
  run_tests "Browser journeys in Chromium on PostgreSQL" tests/Zhiyuan.BrowserTests ZHIYUAN_TEST_PROVIDER=Postgres \
    "ZHIYUAN_TEST_POSTGRES=Host=127.0.0.1;Port=$pg_port;Username=postgres;Maximum Pool Size=20"
fi

say ""
say "Screenshots: tests/Zhiyuan.BrowserTests/TestResults/screenshots/"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
# A run in which nothing passed proves nothing.
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit $status || exit 1
