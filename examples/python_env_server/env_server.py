#!/usr/bin/python3
"""Serve an environment written in Python over mbrl's Environment service.

This is how to plug your own simulator into mbrl: write a class with the interface of
`PointMass` below (a spec, reset(seed) and step(action)), serve it with this script, and point
the actors at it:

    python3 examples/python_env_server/env_server.py --port 50062
    # in the experiment config:
    env { name: "PyPointMass" horizon: 100 remote_address: "localhost:50062" }

The protocol is proto/mbrl/v1/environment.proto: one env instance per Session stream; the first
request must be a reset, and after an episode ends only a reset is accepted (FAILED_PRECONDITION
otherwise); an action of the wrong dtype or shape, or with NaN/Inf, is INVALID_ARGUMENT; actions
are clipped to the bounds; episodes are truncated after max_episode_steps.

Needs Debian's python3-grpcio, python3-protobuf and python3-numpy, and protoc with
grpc_python_plugin (protobuf-compiler, protobuf-compiler-grpc) to generate the Python modules
from proto/ at startup. Prints `PORT <n>` once serving (so --port 0 picks a free port) and
stops on SIGTERM or SIGINT.
"""
import argparse
import glob
import os
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent import futures

import numpy as np


def import_protos(proto_root):
    """Generates the mbrl.v1 Python modules from `proto_root` and imports the ones needed."""
    out = tempfile.mkdtemp(prefix="mbrl_protos_")
    subprocess.run(
        ["protoc", f"--proto_path={proto_root}", "--proto_path=/usr/include",
         f"--python_out={out}", f"--grpc_python_out={out}",
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        + sorted(glob.glob(os.path.join(proto_root, "mbrl/v1/*.proto"))),
        check=True)
    sys.path.insert(0, out)
    global grpc, environment_pb2, environment_pb2_grpc, tensor_pb2
    import grpc  # noqa: E402
    from mbrl.v1 import environment_pb2, environment_pb2_grpc, tensor_pb2  # noqa: E402


class PointMass:
    """A 2-D point mass pushed towards the origin: a stand-in for your simulator.

    state (x, y, vx, vy); action: a force in [-1, 1]^2; dt = 0.1, mass 1, linear damping 0.5:
        v' = v + dt (a - 0.5 v);  p' = p + dt v'
    reward = -|p'|; terminated when |p'| < 0.05; reset: p ~ U(-1, 1)^2 (from the seed), v = 0.
    """
    name = "PyPointMass"
    observation_low = np.full(4, -np.inf)
    observation_high = np.full(4, np.inf)
    action_low = np.full(2, -1.0)
    action_high = np.full(2, 1.0)
    max_episode_steps = 100

    def reset(self, seed):
        rng = np.random.default_rng(seed)
        self.position = rng.uniform(-1.0, 1.0, size=2)
        self.velocity = np.zeros(2)
        return self._observation()

    def step(self, action):
        self.velocity = self.velocity + 0.1 * (action - 0.5 * self.velocity)
        self.position = self.position + 0.1 * self.velocity
        distance = float(np.linalg.norm(self.position))
        return self._observation(), -distance, distance < 0.05

    def _observation(self):
        return np.concatenate([self.position, self.velocity]).astype(np.float32)


def to_tensor(array):
    array = np.ascontiguousarray(array, dtype="<f4")
    return tensor_pb2.Tensor(dtype=tensor_pb2.DTYPE_FLOAT32, shape=array.shape,
                             data=array.tobytes())


def space_spec(low, high):
    return tensor_pb2.TensorSpec(dtype=tensor_pb2.DTYPE_FLOAT32, shape=[len(low)],
                                 low=list(low), high=list(high))


class EnvironmentServicer:
    """mbrl.v1.Environment over instances of `env_class`."""

    def __init__(self, env_class, seed=0):
        self.env_class = env_class
        self.seed = seed
        self.sessions = 0
        self.lock = threading.Lock()

    def Spec(self, request, context):
        env = self.env_class
        return environment_pb2.EnvSpec(
            name=env.name,
            observation=space_spec(env.observation_low, env.observation_high),
            action=space_spec(env.action_low, env.action_high),
            max_episode_steps=env.max_episode_steps)

    def Session(self, requests, context):
        env = self.env_class()
        with self.lock:
            session = self.sessions
            self.sessions += 1
        unseeded = np.random.default_rng([self.seed, session])  # the session's own stream
        running, steps = False, 0
        act_dim = len(env.action_low)
        for request in requests:
            kind = request.WhichOneof("request")
            if kind == "reset":
                seed = (request.reset.seed if request.reset.HasField("seed")
                        else int(unseeded.integers(2**63)))
                observation = env.reset(seed)
                running, steps = True, 0
                yield environment_pb2.EnvResponse(observation=to_tensor(observation))
            elif kind == "step":
                if not running:
                    context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                  f"{env.name}: step without a running episode; Reset first")
                action = request.step.action
                if (action.dtype != tensor_pb2.DTYPE_FLOAT32 or list(action.shape) != [act_dim]
                        or len(action.data) != 4 * act_dim):
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                  f"{env.name}: action must be float32 [{act_dim}]")
                values = np.frombuffer(action.data, dtype="<f4").astype(np.float64)
                if not np.all(np.isfinite(values)):
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                  f"{env.name}: action entry is not finite")
                values = np.clip(values, env.action_low, env.action_high)
                observation, reward, terminated = env.step(values)
                steps += 1
                truncated = not terminated and steps >= env.max_episode_steps
                running = not (terminated or truncated)
                yield environment_pb2.EnvResponse(observation=to_tensor(observation),
                                                  reward=reward, terminated=terminated,
                                                  truncated=truncated)
            else:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              "EnvRequest has neither reset nor step")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=50062, help="0 picks a free port")
    parser.add_argument("--host", default="[::]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max_sessions", type=int, default=64,
                        help="concurrent sessions (one thread each); more get RESOURCE_EXHAUSTED")
    parser.add_argument("--proto_root", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto"))
    args = parser.parse_args()
    import_protos(args.proto_root)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.max_sessions + 2),
                         maximum_concurrent_rpcs=args.max_sessions + 2)
    environment_pb2_grpc.add_EnvironmentServicer_to_server(
        EnvironmentServicer(PointMass, args.seed), server)
    port = server.add_insecure_port(f"{args.host}:{args.port}")
    server.start()
    print(f"PORT {port}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()


if __name__ == "__main__":
    main()
