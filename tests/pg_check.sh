#!/usr/bin/env bash
# PostGIS integration test of `seggap check` (CTest: pg_check).
#
# Starts a throw-away PostgreSQL cluster in a temporary directory (Unix socket
# only, no TCP; password authentication), loads the sample city with ogr2ogr,
# runs `seggap check` on districts and census table read from PostGIS, writes
# the layers back with --out-pg and reads the tables with psql. Credentials
# come from the libpq environment (PGHOST, PGUSER, PGPASSWORD), never from the
# command line, and the password must appear in no output.
#
# usage: tests/pg_check.sh SEGGAP SAMPLES_DIR
# Exit 77 (CTest: skipped) when PostgreSQL/PostGIS are not installed, except
# under CI, where that is a failure: .ci/run installs them (tools/deps.sh).
set -euo pipefail
seggap=$1 samples=$2

skip() {
  echo "pg_check: SKIPPED: $*"
  if [ -n "${CI:-}" ]; then
    echo "pg_check: under CI this is a failure (tools/deps.sh installs PostgreSQL and PostGIS)"
    exit 1
  fi
  exit 77
}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || skip "PostgreSQL is not installed (apt-get install postgresql)"
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 ||
  skip "PostGIS is not installed (apt-get install postgresql-15-postgis-3)"
command -v ogr2ogr >/dev/null && command -v psql >/dev/null || skip "ogr2ogr or psql missing"
ogrinfo --formats | grep -q 'PostgreSQL' || skip "GDAL has no PostgreSQL driver"

tmp=$(mktemp -d /tmp/seggap-pg-XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp/data" "$tmp/sock" "$tmp/out"
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$tmp/pw"
chmod 600 "$tmp/pw"
# The server cannot run as root: as root, the cluster belongs to postgres.
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$tmp/data" "$tmp/sock" "$tmp/pw"
  as_pg() { runuser -u postgres -- "$@"; }
fi
stop() {
  as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap stop EXIT

echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') in $tmp (Unix socket only)"
as_pg "$pgbin/initdb" -D "$tmp/data" -U seggap --pwfile="$tmp/pw" --auth=scram-sha-256 -E UTF8 --locale=C \
  >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log"; exit 1; }
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/sock/server.log" -w -t 60 \
  -o "-k $tmp/sock -c listen_addresses='' -c fsync=off" start >/dev/null ||
  { cat "$tmp/sock/server.log"; exit 1; }

# Credentials: the libpq environment only.
export PGHOST="$tmp/sock" PGUSER=seggap PGPASSWORD="$password" PGDATABASE=census
unset PGSERVICE PGPASSFILE || true
createdb census
psql -qX -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION postgis' >/dev/null
ogr2ogr -f PostgreSQL PG:dbname=census "$samples/city/districts.shp" -nln districts -lco GEOMETRY_NAME=geom
ogr2ogr -f PostgreSQL PG:dbname=census "$samples/city/census.csv" -nln census
echo "loaded: $(psql -tAX -c 'SELECT count(*) FROM districts') districts (SRID $(psql -tAX -c \
  'SELECT DISTINCT ST_SRID(geom) FROM districts')), $(psql -tAX -c 'SELECT count(*) FROM census') census rows"

cat >"$tmp/check.yaml" <<EOF
# The sample city from PostGIS (connection strings without credentials).
districts: "PG:dbname=census"
layer: public.districts
id: code
name: name
tables:
  - path: "PG:dbname=census"
    layer: census
    key: code
total: total
group: migrants
local_permutations: 9
out: out
out_pg: "PG:dbname=census"
check:
  baseline: $samples/check/baseline
  permutations: 99
  thresholds:
    dissimilarity.max: 0.45
    dissimilarity: {max_increase: 0.02, significant: true}
EOF

fail() { echo "pg_check: FAILED: $*"; exit 1; }
run() { # expected-exit args...
  local want=$1 rc=0
  shift
  "$seggap" check "$@" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
  cat "$tmp/stdout"
  [ -s "$tmp/stderr" ] && sed 's/^/stderr: /' "$tmp/stderr"
  [ "$rc" -eq "$want" ] || fail "seggap check $* exited $rc, want $want"
  for f in "$tmp/stdout" "$tmp/stderr" "$tmp"/out/*.json "$tmp"/out/*.xml; do
    if grep -q "$password" "$f"; then fail "the password appears in $f"; fi
  done
}
q() { psql -tAX -v ON_ERROR_STOP=1 -c "$1"; }

echo "== 1. the release in PostGIS passes against samples/check/baseline; layers written back"
run 0 --config "$tmp/check.yaml"
grep -q '"inputs"' "$tmp/out/summary.json" || fail "no summary.json"
grep -q '"path": "PG:dbname=census"' "$tmp/out/summary.json" || fail "the PG source is not in summary.json"
rows=$(q 'SELECT count(*) FROM seggap_districts')
[ "$rows" = 120 ] || fail "seggap_districts has $rows rows, want 120"
[ "$(q 'SELECT DISTINCT ST_SRID(geom) FROM seggap_districts')" = 4326 ] || fail "SRID is not 4326"
[ "$(q "SELECT id FROM seggap_districts WHERE status = 'zero_total'")" = 00034 ] || fail "ids lost their zeros"
echo "read back: seggap_districts: $rows rows; columns: $(q "SELECT string_agg(column_name, ', ' ORDER BY \
  ordinal_position) FROM information_schema.columns WHERE table_name = 'seggap_districts'")"
q "SELECT id, total, \"group\", round(share::numeric, 4) AS share, round(d_contrib::numeric, 5) AS d_contrib, status
   FROM seggap_districts ORDER BY id LIMIT 3"
d_sum=$(q 'SELECT round(sum(d_contrib)::numeric, 6) FROM seggap_districts')
grep -A2 '"dissimilarity": {' "$tmp/out/summary.json" | grep -q "\"value\": ${d_sum%?}" ||
  fail "sum of d_contrib in PostGIS ($d_sum) is not the dissimilarity of summary.json"
echo "sum(d_contrib) in PostGIS = $d_sum = dissimilarity in summary.json"

echo "== 2. the tables are replaced, not appended to"
q "INSERT INTO seggap_districts (id, status) VALUES ('stale', 'stale')" >/dev/null
run 0 --config "$tmp/check.yaml" --quiet
[ "$(q 'SELECT count(*) FROM seggap_districts')" = 120 ] || fail "seggap_districts was not replaced"
[ "$(q "SELECT count(*) FROM seggap_districts WHERE id = 'stale'")" = 0 ] || fail "a stale row survived"

echo "== 3. --sql on PostGIS: a query that loses a district fails the validation (exit 3)"
q "INSERT INTO seggap_districts (id, status) VALUES ('marker', 'marker')" >/dev/null
run 3 --config "$tmp/check.yaml" --sql "SELECT * FROM districts WHERE code <> '00050'"
grep -q '"code": "E_MISSING_DISTRICT"' "$tmp/out/check.json" || fail "no E_MISSING_DISTRICT in check.json"
grep -q 'E_MISSING_DISTRICT' "$tmp/out/check.xml" || fail "no E_MISSING_DISTRICT in check.xml"
[ "$(q "SELECT count(*) FROM seggap_districts WHERE id = 'marker'")" = 1 ] ||
  fail "a failed validation must not rewrite the tables"

echo "== 3b. --sql runs read-only: a DELETE ... RETURNING and a data-modifying CTE fail, the tables stay whole"
ncensus=$(q 'SELECT count(*) FROM census')
run 3 --config "$tmp/check.yaml" --sql "DELETE FROM districts WHERE code = '00050' RETURNING *"
[ "$(q 'SELECT count(*) FROM districts')" = 120 ] || fail "--sql deleted from the input table"
run 3 --config "$tmp/check.yaml" --sql \
  "WITH d AS (DELETE FROM census WHERE code = '00050' RETURNING *) SELECT * FROM districts"
[ "$(q 'SELECT count(*) FROM census')" = "$ncensus" ] || fail "a data-modifying CTE in --sql deleted from census"
grep -q 'read-only transaction' "$tmp/out/check.json" || fail "no read-only refusal in check.json"

echo "== 3c. --out-pg-prefix naming the input table is refused before anything is written"
q "INSERT INTO seggap_districts (id, status) VALUES ('marker2', 'marker2')" >/dev/null
run 4 --config "$tmp/check.yaml" --out-pg-prefix public.
grep -q "E_OUTPUT_IS_INPUT" "$tmp/stderr" "$tmp/out/check.json" || fail "no E_OUTPUT_IS_INPUT"
grep -q "input table 'districts'" "$tmp/stderr" "$tmp/out/check.json" || fail "the input table is not named"
[ "$(q 'SELECT count(*) FROM districts')" = 120 ] || fail "the input table lost rows"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'districts' AND column_name = 'code'")" = 1 ] ||
  fail "the input table was replaced"
[ "$(q "SELECT count(*) FROM seggap_districts WHERE id = 'marker2'")" = 1 ] || fail "the output tables were rewritten"

echo "== 3d. a table that cannot be created is reported as such, not as a failed insert"
# A schema that does not exist: GDAL's PostgreSQL driver defers CREATE TABLE to the first row, so this
# read "cannot insert the row" (issue 16 item 20).
q "INSERT INTO seggap_districts (id, status) VALUES ('marker3', 'marker3')" >/dev/null
run 4 --config "$tmp/check.yaml" --out-pg-prefix nosuchschema.seggap_
grep -q "cannot create the table" "$tmp/stderr" || fail "the CREATE failure is not named"
grep -q "nosuchschema.seggap_districts.: cannot create the table: ERROR:  schema \"nosuchschema\" does not exist" "$tmp/stderr" || fail "the table or the reason is not named"
if grep -q "cannot insert" "$tmp/stderr"; then fail "a CREATE failure reported as an insert failure"; fi
[ "$(q "SELECT count(*) FROM seggap_districts WHERE id = 'marker3'")" = 1 ] || fail "the output tables were rewritten"

echo "== 4. a password in the connection string is used, and redacted everywhere"
sed "s|\"PG:dbname=census\"|\"PG:dbname=census password=$password\"|" "$tmp/check.yaml" >"$tmp/check-pw.yaml"
(unset PGPASSWORD; run 0 --config "$tmp/check-pw.yaml" --quiet)
grep -q 'password=\*\*\*' "$tmp/out/summary.json" || fail "the password was not redacted in summary.json"
(unset PGPASSWORD; run 0 --config "$tmp/check-pw.yaml" --json) >/dev/null

echo "== 5. wrong credentials: a clear error, no password in it"
rc=0
PGPASSWORD=wrong "$seggap" check --config "$tmp/check.yaml" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
sed 's/^/stderr: /' "$tmp/stderr"
[ "$rc" -eq 3 ] || fail "wrong password: exit $rc, want 3 (the districts cannot be read)"
grep -q 'E_OPEN' "$tmp/out/check.json" || fail "no E_OPEN finding"
echo "pg_check: 8 passed, 0 failed"
