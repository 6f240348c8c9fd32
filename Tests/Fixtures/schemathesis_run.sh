#!/usr/bin/env bash
# Runs Schemathesis with docs/openapi.yaml against a running agent's TCP
# listener. Bounded: a fixed number of examples per operation and a time
# budget, so a run takes at most about 60 s. Deterministic: the seed is
# fixed (SCHEMATHESIS_SEED overrides it) and printed first.
#
# usage: Tests/Fixtures/schemathesis_run.sh PORT TOKEN_FILE [schemathesis run options...]
#
# The token is read from TOKEN_FILE into the environment
# (Tests/Fixtures/schemathesis.toml sends it); it is never on a command line.
# Needs the venv of scripts/setup (.venv-test/). Exit status: Schemathesis's
# (0 when every check passed).
set -euo pipefail

port=${1:?usage: schemathesis_run.sh PORT TOKEN_FILE [options...]}
token_file=${2:?usage: schemathesis_run.sh PORT TOKEN_FILE [options...]}
shift 2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
st="$root/.venv-test/bin/schemathesis"
[ -x "$st" ] || { echo "schemathesis_run.sh: $st is missing: run scripts/setup" >&2; exit 2; }

seed=${SCHEMATHESIS_SEED:-20261129}
examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
budget=${SCHEMATHESIS_MAX_TIME:-45}
echo "schemathesis seed: $seed (SCHEMATHESIS_SEED=$seed to replay), $examples examples per operation, at most $budget s"

CAMGATE_API_TOKEN=$(head -n 1 "$token_file")
export CAMGATE_API_TOKEN
export SCHEMATHESIS_HOOKS="$here/schemathesis_hooks.py"
# Nothing is kept between runs (no example database in the work tree).
cd "$(mktemp -d /tmp/camgate-schemathesis-XXXXXX)"

exec "$st" --config-file "$here/schemathesis.toml" run "$root/docs/openapi.yaml" \
  --url "http://127.0.0.1:$port" \
  --checks all \
  --seed "$seed" \
  --max-examples "$examples" \
  --max-time "$budget" \
  --workers 1 \
  --request-timeout 20 \
  --generation-database none \
  --no-color \
  "$@"
