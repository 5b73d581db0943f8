"""Cross-language check: Python's grpcio (Debian python3-grpcio) talks to every Cascade
server: grpc.health.v1 health, grpc.reflection.v1alpha reflection, and a generated stub of
the service's own contract."""

import os
import unittest

import grpc
from google.protobuf import descriptor_pb2

from cascade.v1 import answer_cache_pb2, answer_cache_pb2_grpc
from cascade.v1 import cascade_pb2, cascade_pb2_grpc
from cascade.v1 import inference_pb2, inference_pb2_grpc
from cascade.v1 import judge_pb2, judge_pb2_grpc
from cascade.v1 import router_pb2, router_pb2_grpc
from cascade.v1 import tier_pb2, tier_pb2_grpc
from reflection_v1alpha import reflection_pb2, reflection_pb2_grpc

from cascade_process import ServerProcess, bin_dir

# (binary, service, a call with an empty request, the code it answers: UNIMPLEMENTED until
# the service is built).
SERVERS = [
    ("cascade-router", "cascade.v1.Router",
     lambda ch: router_pb2_grpc.RouterStub(ch).Route(router_pb2.RouteRequest(query=""), timeout=10),
     grpc.StatusCode.INVALID_ARGUMENT),  # An empty query.
    ("cascade-orchestrator", "cascade.v1.Cascade",
     lambda ch: cascade_pb2_grpc.CascadeStub(ch).Complete(cascade_pb2.CascadeRequest(), timeout=10),
     grpc.StatusCode.INVALID_ARGUMENT),  # No messages.
    ("cascade-orchestrator", "cascade.v1.AnswerCacheAdmin",
     lambda ch: answer_cache_pb2_grpc.AnswerCacheAdminStub(ch).Stats(
         answer_cache_pb2.AnswerCacheStatsRequest(), timeout=10),
     grpc.StatusCode.FAILED_PRECONDITION),  # No policy enables the cache.
    ("cascade-tier-worker", "cascade.v1.TierWorker",
     lambda ch: tier_pb2_grpc.TierWorkerStub(ch).Describe(tier_pb2.DescribeRequest(), timeout=10),
     grpc.StatusCode.UNIMPLEMENTED),
    ("cascade-judge", "cascade.v1.Judge",
     lambda ch: judge_pb2_grpc.JudgeStub(ch).Score(judge_pb2.ScoreRequest(), timeout=10),
     grpc.StatusCode.INVALID_ARGUMENT),  # The default method (logprob) needs logprobs.
    ("cascade-inference", "cascade.v1.InferenceService",
     lambda ch: inference_pb2_grpc.InferenceServiceStub(ch).Tokenize(
         inference_pb2.TokenizeRequest(model="none", text="hi"), timeout=10),
     grpc.StatusCode.NOT_FOUND),  # No models configured.
]

SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}


class HealthAndReflectionTest(unittest.TestCase):

    def check_server(self, binary, service, call_own_method, expected_code):
        server = ServerProcess(os.path.join(bin_dir(), binary))
        self.addCleanup(server.stop)
        with grpc.insecure_channel(server.grpc) as channel:
            # Health, with raw bytes: Debian has no grpc_health module.
            check = channel.unary_unary("/grpc.health.v1.Health/Check")
            self.assertEqual(check(b"", timeout=10), SERVING)

            reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
            requests = [
                reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol=service),
            ]
            responses = list(reflection.ServerReflectionInfo(iter(requests), timeout=10))
            self.assertEqual(len(responses), 2)
            names = {s.name for s in responses[0].list_services_response.service}
            self.assertIn(service, names)
            self.assertIn("grpc.health.v1.Health", names)

            files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                     for raw in responses[1].file_descriptor_response.file_descriptor_proto]
            own = [f for f in files if any(f"{f.package}.{s.name}" == service for s in f.service)]
            self.assertEqual(len(own), 1, f"no file declares {service}")
            self.assertEqual(own[0].package, "cascade.v1")

            with self.assertRaises(grpc.RpcError) as raised:
                call_own_method(channel)
            self.assertEqual(raised.exception.code(), expected_code)

    def test_every_server(self):
        for binary, service, call, code in SERVERS:
            with self.subTest(binary=binary):
                self.check_server(binary, service, call, code)

    def test_unknown_symbol_is_a_reflection_error_not_a_crash(self):
        server = ServerProcess(os.path.join(bin_dir(), "cascade-router"))
        self.addCleanup(server.stop)
        with grpc.insecure_channel(server.grpc) as channel:
            reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
            request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Thing")
            (response,) = list(reflection.ServerReflectionInfo(iter([request]), timeout=10))
            self.assertEqual(response.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])


if __name__ == "__main__":
    unittest.main()
