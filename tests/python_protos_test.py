#!/usr/bin/python3
"""The protocol is usable from other languages: generate Python modules from proto/ with protoc
and grpc_python_plugin, import them with Debian's python3-grpcio / python3-protobuf, encode and
decode messages, and make real gRPC calls over loopback through the generated stubs."""
import glob
import os
import subprocess
import sys
import tempfile
import unittest
from concurrent import futures

PROTO_ROOT = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""), "proto")
OUT = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
subprocess.run(
    ["protoc", f"--proto_path={PROTO_ROOT}", "--proto_path=/usr/include",
     f"--python_out={OUT}", f"--grpc_python_out={OUT}",
     "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
    + sorted(glob.glob(os.path.join(PROTO_ROOT, "mbrl/v1/*.proto"))),
    check=True)
sys.path.insert(0, OUT)

import grpc  # noqa: E402
import numpy as np  # noqa: E402
from google.protobuf import text_format  # noqa: E402
from mbrl.v1 import config_pb2, environment_pb2, environment_pb2_grpc, options_pb2  # noqa: E402
from mbrl.v1 import model_learner_pb2_grpc, policy_learner_pb2_grpc, replay_pb2_grpc  # noqa: E402
from mbrl.v1 import tensor_pb2, trajectory_pb2  # noqa: E402


def to_tensor(array):
    dtypes = {np.dtype("float32"): tensor_pb2.DTYPE_FLOAT32, np.dtype("int64"): tensor_pb2.DTYPE_INT64,
              np.dtype("bool"): tensor_pb2.DTYPE_BOOL}
    array = np.ascontiguousarray(array)
    return tensor_pb2.Tensor(dtype=dtypes[array.dtype], shape=array.shape,
                             data=array.astype(array.dtype.newbyteorder("<")).tobytes())


def from_tensor(tensor):
    dtypes = {tensor_pb2.DTYPE_FLOAT32: "<f4", tensor_pb2.DTYPE_INT64: "<i8", tensor_pb2.DTYPE_BOOL: "?"}
    return np.frombuffer(tensor.data, dtype=dtypes[tensor.dtype]).reshape(tuple(tensor.shape))


class EchoEnvironment(environment_pb2_grpc.EnvironmentServicer):
    """A 1-D environment: observation = sum of actions since reset."""

    def Spec(self, request, context):
        return environment_pb2.EnvSpec(name="Echo", max_episode_steps=3)

    def Session(self, requests, context):
        position = None
        for request in requests:
            if request.HasField("reset"):
                position = np.zeros(1, np.float32)
            elif position is None:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, "step before reset")
            else:
                position = position + from_tensor(request.step.action)
            yield environment_pb2.EnvResponse(observation=to_tensor(position), reward=float(position[0]))


class ProtocolFromPythonTest(unittest.TestCase):
    def test_trajectory_chunk_round_trips_with_numpy(self):
        observations = np.arange(12, dtype=np.float32).reshape(4, 3)
        chunk = trajectory_pb2.TrajectoryChunk(
            episode_id=2**63 + 5, chunk_index=1, env_name="Pendulum",
            policy=trajectory_pb2.PolicyId(version=7, task=3),
            observations=to_tensor(observations), terminated=to_tensor(np.array([False, False, True])))
        decoded = trajectory_pb2.TrajectoryChunk.FromString(chunk.SerializeToString())
        np.testing.assert_array_equal(from_tensor(decoded.observations), observations)
        self.assertEqual(decoded.episode_id, 2**63 + 5)
        self.assertTrue(decoded.policy.HasField("task"))
        self.assertEqual(list(from_tensor(decoded.terminated)), [False, False, True])

    def test_config_defaults_and_ranges_are_visible(self):
        config = text_format.Parse('env { name: "HalfCheetah" } mbmpo {}', config_pb2.ExperimentConfig())
        self.assertEqual(config.mbmpo.meta_batch_size, 20)
        self.assertAlmostEqual(config.mbmpo.outer.max_kl, 0.01)
        self.assertEqual(config.schedule, config_pb2.ExperimentConfig.SYNC)
        field = config_pb2.DynamicsModelConfig.DESCRIPTOR.fields_by_name["ensemble_size"]
        self.assertEqual(field.GetOptions().Extensions[options_pb2.range].min, 1)
        with self.assertRaises(text_format.ParseError):
            text_format.Parse("mbmpo { no_such_field: 1 }", config_pb2.ExperimentConfig())

    def test_every_service_has_generated_stubs(self):
        for module, service in [(replay_pb2_grpc, "ReplayShard"), (model_learner_pb2_grpc, "ModelLearner"),
                                (policy_learner_pb2_grpc, "PolicyLearner"), (environment_pb2_grpc, "Environment")]:
            self.assertTrue(hasattr(module, service + "Stub"), service)
            self.assertTrue(hasattr(module, "add_%sServicer_to_server" % service), service)

    def test_environment_session_over_loopback(self):
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        environment_pb2_grpc.add_EnvironmentServicer_to_server(EchoEnvironment(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = environment_pb2_grpc.EnvironmentStub(channel)
                self.assertEqual(stub.Spec(environment_pb2.SpecRequest(), timeout=10).name, "Echo")
                requests = [environment_pb2.EnvRequest(reset=environment_pb2.ResetRequest(seed=1))] + [
                    environment_pb2.EnvRequest(step=environment_pb2.StepRequest(action=to_tensor(np.array([0.5], np.float32))))
                    for _ in range(2)]
                responses = list(stub.Session(iter(requests), timeout=10))
                self.assertEqual([r.reward for r in responses], [0.0, 0.5, 1.0])
                with self.assertRaises(grpc.RpcError) as error:
                    list(stub.Session(iter(requests[1:]), timeout=10))
                self.assertEqual(error.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        finally:
            server.stop(grace=None)


if __name__ == "__main__":
    unittest.main()
