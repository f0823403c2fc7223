#!/usr/bin/python3
"""The roles' goals, measured on real `mbrl local` runs (bench/RESULTS.md, "Roles and `mbrl
local`").

  bench/local_goals.py threshold --config=configs/pendulum_mbmpo.textproto \
      --schedules=SYNC,ASYNC --seeds=1,2,3 [--max_real_steps=20000] [--extra='roles {...}']
    For each schedule and seed, runs `mbrl local` on the config (its `schedule:` replaced by S, plus the
    extra text) with the real-step budget and stops it (SIGTERM) at the first progress row whose
    eval_return >= --threshold (-200). Prints one line per run (real steps, the row's
    wall_seconds, the launcher's seconds) and, per schedule, the mean time to the threshold and
    the ratio to the first schedule's.

  bench/local_goals.py imagine --config=... --actors=1,2 --iterations=2
    For each count of imagination actors, a SYNC run of that many iterations; prints imagined
    steps per policy step, imagined steps per wall second, and the imagination actors' own rate
    (steps / seconds spent making sets, from their logs, summed over actors while they overlap).

Runs one at a time; the machine should be otherwise idle (check `uptime`).
"""
import argparse
import csv
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MBRL = os.path.join(ROOT, "bazel-bin", "cli", "mbrl")


def rows(path):
    try:
        with open(path) as f:
            return [r for r in csv.DictReader(f) if r.get("eval_seconds") not in (None, "")]
    except FileNotFoundError:
        return []


def value(row, column):
    try:
        return float(row[column])
    except (KeyError, TypeError, ValueError):
        return float("nan")


def run_local(config_text, out, seed, extra_flags, stop_when=None, timeout=1800):
    """Runs `mbrl local` into `out`; stops it when stop_when(row) holds. Returns (rows, the row
    that stopped it or None, launcher seconds to that row or to the end)."""
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    config = os.path.join(out, "bench.textproto")
    with open(config, "w") as f:
        f.write(config_text)
    run_dir = os.path.join(out, "run")
    log = open(os.path.join(out, "local.log"), "w")
    start = time.monotonic()
    process = subprocess.Popen([MBRL, "local", f"--config={config}", f"--out={run_dir}",
                                f"--seed={seed}", *extra_flags], stdout=log,
                               stderr=subprocess.STDOUT)
    hit, hit_seconds = None, None
    try:
        while process.poll() is None and time.monotonic() - start < timeout:
            if stop_when is not None and hit is None:
                for row in rows(os.path.join(run_dir, "progress.csv")):
                    if stop_when(row):
                        hit, hit_seconds = row, time.monotonic() - start
                        process.send_signal(signal.SIGTERM)
                        break
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    seconds = hit_seconds if hit is not None else time.monotonic() - start
    if not rows(os.path.join(run_dir, "progress.csv")):
        sys.exit(f"mbrl local wrote no progress; its log:\n" + open(log.name).read()[-3000:])
    return rows(os.path.join(run_dir, "progress.csv")), hit, seconds, run_dir


def threshold(args):
    # The config's own top-level schedule (if any) gives way to the one measured.
    base = re.sub(r"(?m)^schedule:.*$", "", open(args.config).read())
    results = {}
    for schedule in args.schedules.split(","):
        for seed in [int(s) for s in args.seeds.split(",")]:
            text = f"{base}\nschedule: {schedule}\n{args.extra}\n"
            out = os.path.join(args.work, f"{schedule}_{seed}")
            table, hit, seconds, _ = run_local(
                text, out, seed, [f"--max_real_steps={args.max_real_steps}"],
                stop_when=lambda r: value(r, "eval_return") >= args.threshold)
            if hit is None:
                best = max((value(r, "eval_return") for r in table), default=float("nan"))
                print(f"{schedule} seed={seed}: not reached within {args.max_real_steps} real "
                      f"steps (best eval_return {best:.1f}, {len(table)} rows, {seconds:.1f} s)",
                      flush=True)
                results.setdefault(schedule, []).append(None)
                continue
            print(f"{schedule} seed={seed}: eval_return={value(hit, 'eval_return'):.1f} at "
                  f"iteration {int(value(hit, 'iteration'))}, real_steps="
                  f"{int(value(hit, 'real_steps'))}, wall_seconds={value(hit, 'wall_seconds'):.1f}"
                  f" (launcher {seconds:.1f} s)", flush=True)
            results.setdefault(schedule, []).append(value(hit, "wall_seconds"))
    first = None
    for schedule, times in results.items():
        reached = [t for t in times if t is not None]
        mean = sum(reached) / len(reached) if reached else float("nan")
        first = first or mean
        print(f"{schedule}: reached in {len(reached)}/{len(times)} seeds, mean wall_seconds to "
              f"eval_return >= {args.threshold}: {mean:.1f} s; speedup over "
              f"{list(results)[0]}: {first / mean:.2f}x", flush=True)


SET_LINE = re.compile(r"set for policy version \d+ on model version \d+: (\d+) steps in "
                      r"([0-9.e+-]+) s")


def with_topology(text, fields):
    """`text` with `fields` set in its topology block (textproto allows the block once)."""
    for name in re.findall(r"(\w+):", fields):
        text = re.sub(rf"\b{name}:\s*\S+", "", text)
    if re.search(r"^topology\s*\{", text, re.MULTILINE):
        return re.sub(r"^topology\s*\{", "topology { " + fields + " ", text, count=1,
                      flags=re.MULTILINE)
    return f"{text}\ntopology {{ {fields} }}\n"


def imagine(args):
    base = open(args.config).read()
    for actors in [int(a) for a in args.actors.split(",")]:
        text = with_topology(f"{base}\nschedule: SYNC\n{args.extra}\n",
                             f"imagination_actors: {actors}")
        out = os.path.join(args.work, f"imagine_{actors}")
        table, _, seconds, run_dir = run_local(
            text, out, args.seed, [], stop_when=lambda r: value(r, "iteration") >= args.iterations - 1)
        imagined = value(table[-1], "imagined_steps")
        steps = sum(value(r, "policy_steps") for r in table)
        wall = value(table[-1], "wall_seconds")
        made, busy = 0, 0.0
        for path in glob.glob(os.path.join(run_dir, "logs", "imagine-*.log")):
            for m in SET_LINE.finditer(open(path).read()):
                made += int(m.group(1))
                busy += float(m.group(2))
        per_actor = made / busy if busy > 0 else float("nan")
        print(f"imagination_actors={actors}: {len(table)} iterations, {imagined:.0f} imagined steps"
              f" in {wall:.1f} s = {imagined / wall:.0f} imagined steps/s overall; "
              f"{imagined / steps:.0f} imagined steps per policy step; each actor "
              f"{per_actor:.0f} steps/s while making sets, {actors} x that = "
              f"{actors * per_actor:.0f} steps/s of imagination capacity", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("goal", choices=["threshold", "imagine"])
    parser.add_argument("--config", default=os.path.join(ROOT, "configs/pendulum_mbmpo.textproto"))
    parser.add_argument("--schedules", default="SYNC,ASYNC")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=-200)
    parser.add_argument("--max_real_steps", type=int, default=20000)
    parser.add_argument("--actors", default="1,2")
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--extra", default="", help="textproto appended to the config")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "mbrl_local_goals"))
    args = parser.parse_args()
    if not os.path.exists(MBRL):
        sys.exit(f"{MBRL} is missing: bazel build //cli:mbrl")
    {"threshold": threshold, "imagine": imagine}[args.goal](args)


if __name__ == "__main__":
    main()
