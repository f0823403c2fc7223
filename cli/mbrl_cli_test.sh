#!/usr/bin/env bash
# End-to-end checks of the `mbrl` binary: help, version, config check (good and bad configs,
# exit codes, error locations), usage errors, env list, bench env.
set -uo pipefail
cd "${TEST_SRCDIR}/${TEST_WORKSPACE}"
MBRL="$PWD/cli/mbrl"
TMP="${TEST_TMPDIR}"
source cli/testing/expect.sh

expect 0 "config check +Check ExperimentConfig" "$MBRL" --help
expect 0 "^  version +Print the mbrl version" "$MBRL" help
expect 2 "usage: mbrl SUBCOMMAND" "$MBRL"
expect 0 "^mbrl [0-9]+\.[0-9]+\.[0-9]+ \(protocol mbrl\.v1\)" "$MBRL" version
expect 0 "grpc 1\.[0-9]+" "$MBRL" version
expect 0 "^blas: OpenBLAS, [A-Za-z0-9]+ kernels; imagination kernel: " "$MBRL" version
expect 0 "OpenBLAS, Haswell kernels" env OPENBLAS_CORETYPE=Haswell "$MBRL" version
expect 2 "takes no arguments" "$MBRL" version extra
expect 2 "unknown subcommand 'frobnicate'" "$MBRL" frobnicate
expect 2 "mbrl version: unknown flag --config=x" "$MBRL" version --config=x
expect 0 "--print \(default: false\)" "$MBRL" config check --help

# Every shipped preset is valid.
for config in configs/*.textproto; do
  expect 0 "^$config: OK: " "$MBRL" config check "$config"
done
expect 0 "MB-MPO on Pendulum \(horizon 200\), 5 models, SYNC" "$MBRL" config check configs/pendulum_mbmpo.textproto
expect 0 "inner_learning_rate: 0.001" "$MBRL" config check --print configs/pendulum_mbmpo.textproto

# Bad configs: one clear error with FILE:LINE:COLUMN, exit code 2.
printf 'mbmpo {}\nenv {\n  horizn: 100\n}\n' > "$TMP/unknown.textproto"
expect 2 "unknown.textproto:3:[0-9]+: .*no field named \"horizn\"" "$MBRL" config check "$TMP/unknown.textproto"
printf 'mbmpo {\n  meta_batch_size: "many"\n}\n' > "$TMP/type.textproto"
expect 2 "type.textproto:2:20: Expected integer" "$MBRL" config check "$TMP/type.textproto"
printf 'mbmpo {}\nmodel {\n  ensemble_size: 0\n}\n' > "$TMP/range.textproto"
expect 2 "range.textproto:3:3: model.ensemble_size: 0 is out of range; must be >= 1" "$MBRL" config check "$TMP/range.textproto"
expect 2 "cannot read config $TMP/missing.textproto" "$MBRL" config check "$TMP/missing.textproto"
expect 2 "give at least one FILE" "$MBRL" config check
# One bad file among good ones still fails the whole check.
expect 2 "range.textproto:3:3" "$MBRL" config check configs/pendulum_mbmpo.textproto "$TMP/range.textproto"

# Environments: the registry's names are what EnvConfig.name accepts.
expect 0 "^HalfCheetah +17 +6$" "$MBRL" env list
expect 0 "^Pendulum +3 +1$" "$MBRL" env list
expect 2 "takes no arguments" "$MBRL" env list extra
printf 'mbmpo {}\nenv {\n  name: "HalfCheeta"\n}\n' > "$TMP/env_name.textproto"
expect 2 "env_name.textproto:3:3: env.name: unknown environment \"HalfCheeta\"; registered: .*HalfCheetah" "$MBRL" config check "$TMP/env_name.textproto"
printf 'mbmpo {}\nenv {\n  name: "MySimulator"\n  remote_address: "localhost:5000"\n}\n' > "$TMP/remote.textproto"
expect 0 "OK: MB-MPO on MySimulator" "$MBRL" config check "$TMP/remote.textproto"
expect 0 "halfcheetah_overhead_vs_raw=[0-9.]+ *$" "$MBRL" bench env --seconds=0.01 --pendulum_envs=16 --halfcheetah_envs=1 --overhead_episodes=1 --overhead_repeats=1
expect 2 "every option must be positive" "$MBRL" bench env --seconds=0

# env-server: serves until SIGTERM, printing its port; bad names are usage errors.
expect 2 "unknown environment \"Nope\"" "$MBRL" env-server --env=Nope --port=0
expect 2 "give --env=NAME" "$MBRL" env-server --port=0
coproc SERVER { exec "$MBRL" env-server --env=Pendulum --port=0 2>&1; }
server_pid=$SERVER_PID
line=""
read -t 60 -r line <&"${SERVER[0]}"  # blocks until the startup line (bounded)
[[ "$line" =~ ^serving\ Pendulum\ \(horizon\ 200\)\ on\ port\ [1-9][0-9]*$ ]] \
  || fail "env-server did not report its port: '$line'"
kill -TERM "$server_pid"
wait "$server_pid"; code=$?
[[ "$code" == 0 ]] || fail "env-server exited $code after SIGTERM"

# mbrl replay: bad flags are usage errors (it serves until SIGTERM otherwise; see
# tests/replay_kill_test for the running server).
expect 0 "--data_dir \(default: \"\"\)" "$MBRL" replay --help
expect 2 "--shard must be i/S with 0 <= i < S, got '3/2'" "$MBRL" replay --shard=3/2
expect 2 "inserts would stop before sampling may start" "$MBRL" replay --max_diff=-5 --data_dir="$TMP/replay"
expect 2 "takes no arguments" "$MBRL" replay extra

# Training: flags, config errors, and a tiny real run with its outputs.
expect 2 "--config=FILE is required" "$MBRL" train
expect 2 "takes no arguments" "$MBRL" train extra
expect 2 "range.textproto:3:3: model.ensemble_size" "$MBRL" train --config="$TMP/range.textproto"
expect 2 "env_name.textproto:3:3: env.name: unknown environment" "$MBRL" train --config="$TMP/env_name.textproto"
expect 2 "--max_wall_seconds must be >= 0" "$MBRL" train --config=configs/pendulum_mbmpo.textproto --max_wall_seconds=-5
expect 2 "seed" "$MBRL" train --config=configs/pendulum_mbmpo.textproto --seed=-5
cat > "$TMP/tiny.textproto" <<'EOF'
env { name: "MockLine" horizon: 10 }
model { ensemble_size: 2 hidden_units: 8 max_epochs: 2 batch_size: 16 }
metrpo { iterations: 3 initial_random_steps: 20 real_steps_per_iteration: 10
         imagined_steps_per_policy_step: 50 max_policy_steps_per_iteration: 2 }
topology { learner_threads: 1 }
evaluation { episodes: 2 }
EOF
expect 0 "iteration=1 real_steps=30 imagined_steps=" "$MBRL" train --config="$TMP/tiny.textproto" --out="$TMP/tiny" --max_real_steps=35 --seed=4
expect 0 "^iteration,real_steps,imagined_steps,wall_seconds,eval_return,model_val_loss," head -1 "$TMP/tiny/progress.csv"
expect 0 "^1,30," tail -1 "$TMP/tiny/progress.csv"
expect 0 "seed: 4" cat "$TMP/tiny/config.textproto"
[[ -s "$TMP/tiny/checkpoint/model.binpb" && -s "$TMP/tiny/checkpoint/policy.binpb" ]] \
  || fail "train wrote no checkpoint"

# The imagination benchmark.
expect 0 "steps_per_s=[0-9.e+]+ .*flops_fraction_of_ceiling=[0-9.e+-]+ gemm_fraction_of_ceiling=[0-9.e+-]+ *$" "$MBRL" bench imagine --hidden=16,16 --batch=8 --horizon=3 --seconds=0.01 --threads=1
expect 2 "--hidden and --policy_hidden take comma-separated integers" "$MBRL" bench imagine --hidden=a,b
expect 2 "HalfCheetah has observation_dim 17" "$MBRL" bench imagine --obs_dim=3
expect 0 "model kernel: the BLAS \(--model_kernel=blas\)" "$MBRL" bench imagine --hidden=16,16 --batch=8 --horizon=3 --seconds=0.01 --threads=1 --model_kernel=blas
expect 2 "--model_kernel must be packed or blas" "$MBRL" bench imagine --model_kernel=gpu

if (( failures > 0 )); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
