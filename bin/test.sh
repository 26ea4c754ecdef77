#!/usr/bin/env bash
# The whole offsync test suite, as CI runs it: starts a throwaway PostgreSQL (installing it if needed) for the
# multi-process tests, then `mvn verify` over every module.
set -euo pipefail
home="$(cd "$(dirname "$0")/.." && pwd)"
cd "$home"
OFFSYNC_TEST_PG_URL="$(bin/postgres-dev.sh start)"
export OFFSYNC_TEST_PG_URL OFFSYNC_TEST_PG_USER=offsync OFFSYNC_TEST_PG_REQUIRED=1
trap 'bin/postgres-dev.sh stop' EXIT
mvn -B -ntp verify "$@"
