"""A small typed helper over Cascade's gRPC API (the generated stubs are in `cascade.v1`).

    import cascade_client

    with cascade_client.connect("127.0.0.1:50050") as cascade:
        answer = cascade.complete("What is the capital of France?")
        print(answer.text)
        print(answer.trace())
        for chunk in cascade.stream_complete("Tell me a story", max_tokens=64):
            print(chunk.text, end="", flush=True)

    with cascade_client.connect_router("127.0.0.1:50051") as router:
        print(router.route("write a python function").tier)

Every failed call raises CascadeError, which carries the gRPC status code and message.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import grpc

from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2, router_pb2, router_pb2_grpc

__all__ = [
    "Answer", "CascadeClient", "CascadeError", "Chunk", "RouteDecision", "RouterClient",
    "Step", "connect", "connect_router",
]
__version__ = "0.1.0"

PICO_USD = 1e12  # The API prices everything in pico-USD (int64).

Message = Union[Mapping[str, str], common_pb2.ChatMessage]
Prompt = Union[str, Sequence[Message]]


class CascadeError(Exception):
    """A call that failed: `code` is its grpc.StatusCode, `details` the server's message
    (str(error) is "CODE_NAME: details")."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "CascadeError":
        code = error.code() if callable(getattr(error, "code", None)) else None
        details = error.details() if callable(getattr(error, "details", None)) else None
        return cls(code or grpc.StatusCode.UNKNOWN, details or str(error))


@dataclasses.dataclass
class Step:
    """One tier's attempt at a request (a CascadeStep)."""
    tier: str
    model: str
    confidence: float
    accepted: bool
    latency_seconds: float
    cost_usd: float
    error: str
    skipped: str

    @classmethod
    def from_proto(cls, step: cascade_pb2.CascadeStep) -> "Step":
        return cls(tier=step.tier, model=step.model, confidence=step.confidence,
                   accepted=step.accepted, latency_seconds=step.latency_seconds,
                   cost_usd=step.cost_pusd / PICO_USD, error=step.error, skipped=step.skipped)


@dataclasses.dataclass
class Answer:
    """A cascade's answer and its trace (a CascadeResponse; USD figures are its pico-USD
    fields / 1e12). `raw` is the response itself."""
    text: str
    final_tier: str
    model: str
    route: str
    steps: List[Step]
    tiers: List[str]
    cost_usd: float
    baseline_usd: float
    savings_usd: float
    finish_reason: str
    stopped_reason: str
    raw: cascade_pb2.CascadeResponse = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_proto(cls, response: cascade_pb2.CascadeResponse,
                   text: Optional[str] = None) -> "Answer":
        steps = [Step.from_proto(step) for step in response.steps]
        return cls(
            text=response.answer if text is None else text,
            final_tier=response.final_tier, model=response.model, route=response.route,
            steps=steps, tiers=[step.tier for step in steps],
            cost_usd=response.cost_pusd / PICO_USD,
            baseline_usd=response.baseline_cost_pusd / PICO_USD,
            savings_usd=response.savings_pusd / PICO_USD,
            finish_reason=common_pb2.FinishReason.Name(response.finish_reason),
            stopped_reason=response.stopped_reason, raw=response)

    def trace(self) -> str:
        """The trace as a readable table: one row per step, then cost, baseline, savings."""
        header = ("step", "tier", "model", "confidence", "accepted", "latency", "cost")
        rows = [header]
        notes = []
        for number, step in enumerate(self.steps, 1):
            rows.append((str(number), step.tier, step.model, f"{step.confidence:.3f}",
                         "yes" if step.accepted else "no", f"{step.latency_seconds:.3f}s",
                         _usd(step.cost_usd)))
            if step.skipped:
                notes.append(f"  step {number} skipped: {step.skipped}")
            if step.error:
                notes.append(f"  step {number} error: {step.error}")
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [f"route {self.route or '-'}, answered by {self.final_tier or '-'} "
                 f"({self.model or '-'}), finish {self.finish_reason}"
                 + (f", stopped: {self.stopped_reason}" if self.stopped_reason else "")]
        lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                  for row in rows]
        lines += notes
        share = f" ({self.savings_usd / self.baseline_usd:.0%})" if self.baseline_usd else ""
        lines.append(f"cost {_usd(self.cost_usd)}  baseline {_usd(self.baseline_usd)}  "
                     f"savings {_usd(self.savings_usd)}{share}")
        return "\n".join(lines)


@dataclasses.dataclass
class Chunk:
    """A piece of a streamed answer. The last chunk also has `answer`: the whole answer
    (its text is every chunk's text joined) with the trace; earlier chunks have None."""
    text: str
    answer: Optional[Answer] = None


@dataclasses.dataclass
class RouteDecision:
    """Where the router sends a query. `tier` is the route's start or fixed tier (empty
    when the route names neither: the first tier)."""
    route: str
    score: float
    tier: str
    fixed: bool
    matched_example: str
    below_threshold: bool
    raw: router_pb2.RouteDecision = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_proto(cls, decision: router_pb2.RouteDecision) -> "RouteDecision":
        return cls(route=decision.route, score=decision.score,
                   tier=decision.start_tier or decision.fixed_tier,
                   fixed=decision.WhichOneof("target") == "fixed_tier",
                   matched_example=decision.matched_example,
                   below_threshold=decision.below_threshold, raw=decision)


class _Client:
    def __init__(self, target: str, *, api_key: Optional[str] = None, tls: bool = False,
                 ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                 key_file: Optional[str] = None, server_name: Optional[str] = None,
                 timeout: Optional[float] = 60.0,
                 options: Sequence[Tuple[str, Any]] = ()):
        self.timeout = timeout
        # The servers read `authorization: Bearer KEY` (and check keys on TLS ports only).
        self._metadata = (("authorization", f"Bearer {api_key}"),) if api_key else None
        options = list(options)
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        if tls or ca_file or cert_file or key_file:
            if bool(cert_file) != bool(key_file):
                raise ValueError("cert_file and key_file go together (mutual TLS)")
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(ca_file), private_key=_read(key_file),
                certificate_chain=_read(cert_file))
            self.channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)

    def _timeout(self, timeout: Optional[float]) -> Optional[float]:
        return self.timeout if timeout is None else timeout

    def close(self) -> None:
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class CascadeClient(_Client):
    """The orchestrator's Cascade service. Made by connect()."""

    def __init__(self, target: str, **kwargs: Any):
        super().__init__(target, **kwargs)
        self.stub = cascade_pb2_grpc.CascadeStub(self.channel)

    def complete(self, prompt: Prompt, *, policy: str = "", max_tokens: Optional[int] = None,
                 temperature: Optional[float] = None,
                 timeout: Optional[float] = None) -> Answer:
        """Cascade.Complete: `prompt` is a user message's text or a list of
        {"role": ..., "content": ...} messages; policy "" is the default policy;
        max_tokens and temperature None are the server's defaults (temperature 0: greedy);
        timeout None is the client's."""
        request = _request(prompt, policy, max_tokens, temperature)
        try:
            response = self.stub.Complete(request, timeout=self._timeout(timeout),
                                          metadata=self._metadata)
        except grpc.RpcError as error:
            raise CascadeError.from_rpc_error(error) from None
        return Answer.from_proto(response)

    def stream_complete(self, prompt: Prompt, *, policy: str = "",
                        max_tokens: Optional[int] = None, temperature: Optional[float] = None,
                        timeout: Optional[float] = None) -> Iterator[Chunk]:
        """Cascade.StreamComplete, with complete()'s arguments: the accepted tier's answer
        as it is generated. The last chunk carries the Answer (text joined, trace).
        Leaving the loop early cancels the call."""
        request = _request(prompt, policy, max_tokens, temperature)
        call = self.stub.StreamComplete(request, timeout=self._timeout(timeout),
                                        metadata=self._metadata)
        texts: List[str] = []
        try:
            for chunk in call:
                texts.append(chunk.text)
                answer = (Answer.from_proto(chunk.final, text="".join(texts))
                          if chunk.HasField("final") else None)
                yield Chunk(text=chunk.text, answer=answer)
        except grpc.RpcError as error:
            raise CascadeError.from_rpc_error(error) from None
        finally:
            call.cancel()  # A no-op once the stream ended.


class RouterClient(_Client):
    """The router's Router service. Made by connect_router()."""

    def __init__(self, target: str, **kwargs: Any):
        super().__init__(target, **kwargs)
        self.stub = router_pb2_grpc.RouterStub(self.channel)

    def route(self, query: str, *, timeout: Optional[float] = None) -> RouteDecision:
        """Router.Route: the route and tier the query goes to."""
        try:
            decision = self.stub.Route(router_pb2.RouteRequest(query=query),
                                       timeout=self._timeout(timeout), metadata=self._metadata)
        except grpc.RpcError as error:
            raise CascadeError.from_rpc_error(error) from None
        return RouteDecision.from_proto(decision)


def connect(target: str, *, api_key: Optional[str] = None, tls: bool = False,
            ca_file: Optional[str] = None, cert_file: Optional[str] = None,
            key_file: Optional[str] = None, server_name: Optional[str] = None,
            timeout: Optional[float] = 60.0) -> CascadeClient:
    """A client of the orchestrator at `target` ("host:port"); use it in a `with` block
    (or call close()). api_key: sent as `authorization: Bearer KEY`. tls: TLS with the
    system's roots, or ca_file's; cert_file and key_file add a client certificate (mutual
    TLS); any of the files implies tls. server_name: the name the server's certificate must
    carry when it is not the target's host. timeout: each call's deadline in seconds
    (None: none), unless the call names its own."""
    return CascadeClient(target, api_key=api_key, tls=tls, ca_file=ca_file,
                         cert_file=cert_file, key_file=key_file, server_name=server_name,
                         timeout=timeout)


def connect_router(target: str, *, api_key: Optional[str] = None, tls: bool = False,
                   ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                   key_file: Optional[str] = None, server_name: Optional[str] = None,
                   timeout: Optional[float] = 60.0) -> RouterClient:
    """A client of the router at `target`; the arguments are connect()'s."""
    return RouterClient(target, api_key=api_key, tls=tls, ca_file=ca_file,
                        cert_file=cert_file, key_file=key_file, server_name=server_name,
                        timeout=timeout)


def _read(path: Optional[str]) -> Optional[bytes]:
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def _messages(prompt: Prompt) -> List[common_pb2.ChatMessage]:
    if isinstance(prompt, str):
        return [common_pb2.ChatMessage(role="user", content=prompt)]
    messages = []
    for message in prompt:
        if isinstance(message, common_pb2.ChatMessage):
            messages.append(message)
        else:
            messages.append(common_pb2.ChatMessage(role=message["role"],
                                                   content=message.get("content") or ""))
    return messages


def _request(prompt: Prompt, policy: str, max_tokens: Optional[int],
             temperature: Optional[float]) -> cascade_pb2.CascadeRequest:
    params = common_pb2.GenerationParams()
    if max_tokens is not None:
        params.max_tokens = max_tokens
    if temperature is not None:
        params.temperature = temperature
    return cascade_pb2.CascadeRequest(messages=_messages(prompt), params=params, policy=policy)


def _usd(value: float) -> str:
    return f"-${-value:.8f}" if value < 0 else f"${value:.8f}"
