#!/usr/bin/env bash
# Migration fold benchmark: generates FILES migration files (default 5,000, ~50 MB of SQL with
# bulk INSERT data, policies, grants and a few DO blocks), then times `vouch scan` on that tree
# with a release build. Prints the fold's statement counts (parse coverage) and the wall time.
#
#   bench/pg-fold.sh            # 5,000 files
#   FILES=500 bench/pg-fold.sh  # smaller
set -euo pipefail
cd "$(dirname "$0")/.."

FILES="${FILES:-5000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work/repo/db/migrations" "$FILES" <<'PY'
import os, sys, random
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
random.seed(42)
role = "CREATE ROLE app_user LOGIN NOBYPASSRLS;\n"
for i in range(1, n + 1):
    t = f"t{i:05d}"
    parts = [role] if i == 1 else []
    parts.append(f"""-- migration {i}
CREATE TABLE {t} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    label text NOT NULL,
    amount numeric(12, 2),
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {t} FORCE ROW LEVEL SECURITY;
CREATE POLICY {t}_tenant ON {t} USING (tenant_id = current_setting('app.tenant_id')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO app_user;
CREATE INDEX {t}_tenant_idx ON {t} (tenant_id);
COMMENT ON TABLE {t} IS 'generated; it''s data';
""")
    if i % 100 == 0:
        parts.append(f"DO $$ BEGIN RAISE NOTICE 'backfill {t}; done'; END $$;\n")
    rows = ",\n".join(
        f"('{random.randrange(16**8):08x}-0000-4000-8000-{random.randrange(16**12):012x}', 'row {j}; ''quoted'' $x$', {random.randrange(10**6)}.{j % 100:02d})"
        for j in range(125)
    )
    parts.append(f"INSERT INTO {t} (tenant_id, label, amount) VALUES\n{rows};\n")
    with open(os.path.join(out, f"{i:05d}_{t}.sql"), "w") as f:
        f.write("".join(parts))
PY

bytes=$(du -sb "$work/repo/db/migrations" | cut -f1)
echo "generated $FILES files, $((bytes / 1000000)) MB of SQL in $work/repo"
cargo build --release --locked --quiet
vouch="$CARGO_TARGET_DIR/release/vouch"
"$vouch" scan "$work/repo" --format json --output /dev/null --dump-facts "$work/facts.json" || true
python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['postgres'][0]; print('fold:', d['parse_stats'], 'tables:', len(d['tables']))" "$work/facts.json"
for run in 1 2 3; do
  start=$(date +%s.%N)
  "$vouch" scan "$work/repo" --format json --output /dev/null || true
  end=$(date +%s.%N)
  echo "run $run: $(echo "$end - $start" | bc) s"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
