#!/usr/bin/env bash
# Sets up the demo and opens the shell on it:
#   1. installs the Debian packages (scripts/install-deps.sh) unless
#      LASER_SKIP_DEPS=1,
#   2. builds the `laser` shell and the data generator (build/),
#   3. generates behaviour data in the Taobao UserBehavior.csv layout
#      (tools/gen_behavior, fixed seed) and the demo model
#      (tools/make_model.py demo),
#   4. loads both into demo/demo.db,
#   5. starts `laser demo/demo.db`.
# Later runs reuse demo/demo.db; `scripts/demo.sh --rebuild` starts over.
# Arguments after the options go to the shell (e.g. -c "SELECT ...").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

rebuild=0
if [ "${1:-}" = "--rebuild" ]; then
  rebuild=1
  shift
fi

# The demo's sizes. The generator and the model must agree on ITEMS and
# CATEGORIES: item k belongs to category k % CATEGORIES in both.
USERS=${LASER_DEMO_USERS:-20000}
ITEMS=10000
CATEGORIES=16
SEED=1

demo=$root/demo
db=$demo/demo.db
csv=$demo/UserBehavior.csv
model=$demo/ranker.safetensors
ready=$demo/.ready  # written last: a demo without it is incomplete

log() { printf '== %s\n' "$*" >&2; }

if [ "${LASER_SKIP_DEPS:-0}" != 1 ]; then
  log "checking Debian packages"
  scripts/install-deps.sh
fi

# The model script needs Debian's python3-numpy: use the system python3 when
# the first python3 on PATH (a virtualenv, pyenv) lacks numpy.
python=${PYTHON:-python3}
if ! "$python" -c 'import numpy' 2>/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  python=/usr/bin/python3
fi

log "building laser and gen_behavior in build/"
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build --target laser gen_behavior -j"$(nproc)" >/dev/null
laser=$root/build/shell/laser
gen=$root/build/tools/gen_behavior

if [ "$rebuild" = 1 ] || [ ! -f "$ready" ] || [ ! -d "$db" ]; then
  rm -rf "$db" "$ready"
  mkdir -p "$demo"
  log "generating behaviour data for $USERS users ($csv)"
  "$gen" --users "$USERS" --items "$ITEMS" --categories "$CATEGORIES" --seed "$SEED" -o "$csv"
  log "writing the demo model ($model)"
  "$python" tools/make_model.py demo "$model" --items "$ITEMS" --categories "$CATEGORIES" \
    --seed "$SEED"
  log "loading demo/demo.db"
  "$laser" "$db" --bail <<SQL
CREATE TABLE events (
  user_id U64 PARTITION KEY,
  ts TIMESTAMP(ms) ORDER KEY,
  item_id U64,
  category U32,
  action ENUM('pv', 'buy', 'cart', 'fav')
) WITH (max_events = 100000);
COPY events FROM '$csv' (FORMAT csv, HEADER false,
  COLUMNS (user_id, item_id, category, action, ts), TIME_UNIT 's');
CREATE MODEL ranker FROM '$model';
SQL
  touch "$ready"
else
  log "reusing demo/demo.db (scripts/demo.sh --rebuild starts over)"
fi

cat >&2 <<'TXT'
== demo/demo.db: table `events` (Taobao UserBehavior layout), model `ranker`.
   Try:
     SELECT item_id, category, action, ts FROM events WHERE user_id = 42 LAST 10;
     SELECT action, count(*), count(DISTINCT item_id) FROM events
       WHERE user_id IN (1, 2, 3) GROUP BY action;
     SELECT target, target % 16 AS category, score FROM SCORE(ranker, events,
       user => 42, targets => [104, 97, 98, 106, 103, 105, 111]) ORDER BY score DESC;
   .help lists the dot-commands, .quit (or Ctrl-D) leaves.
TXT
exec "$laser" "$db" "$@"
