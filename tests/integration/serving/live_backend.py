"""A live local_serving behind KServeV2Serving, shaped for the contract suite.

`register_version` writes a real ONNX artifact where the version says, registers it
in the workspace and loads it on the running server, so the suite's serving tests
exercise the HTTP admin API end to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backends.contracts import EndpointStatus, ModelVersion
from backends.embedded import EmbeddedBackend
from backends.kserve_v2 import KServeV2Serving
from local_serving.admin import Tokens
from local_serving.examples import logistic_onnx
from local_serving.options import ServeOptions
from local_serving.server import BackgroundServer
from local_serving.source.embedded import EmbeddedWorkspace, artifact_path

TOKEN = "contract-token-0123456789"


class LiveLocalServing:
    """KServeV2Serving against a local_serving started on an empty workspace."""

    def __init__(self, root: Path, client_class: type[KServeV2Serving] = KServeV2Serving) -> None:
        self.root = root
        self.registry = EmbeddedBackend(str(root))
        options = ServeOptions(port=0, sample_rate=0.0, log_level="warning")
        tokens = Tokens((("contract", TOKEN),), None)
        self.server = BackgroundServer(EmbeddedWorkspace(root), options, tokens)
        self.server.start()
        self.client = client_class(self.server.url, token=TOKEN, timeout_s=30)

    def register_version(self, version: ModelVersion, *, model_task: str = "") -> ModelVersion:
        logistic_onnx(Path(artifact_path(version.artifact_uri, self.root)), [0.5, -0.5], 0.0)
        registered = self.registry.register_version(version, model_task=model_task)
        for alias in version.aliases:
            self.registry.set_alias(version.model, alias, version.version)
        self.client.load(version.model, version.version)
        return registered

    def set_alias(self, model: str, alias: str, version: str) -> Any:
        return self.registry.set_alias(model, alias, version)

    def endpoints(self) -> list[EndpointStatus]:
        return self.client.endpoints()

    def status(self, model: str) -> EndpointStatus:
        return self.client.status(model)

    def set_weights(self, model: str, weights: Any) -> EndpointStatus:
        return self.client.set_weights(model, weights)

    def rollback(self, model: str, to_version: str) -> EndpointStatus:
        return self.client.rollback(model, to_version)

    def set_weights_if(self, model: str, weights: Any, expected: EndpointStatus) -> EndpointStatus:
        return self.client.set_weights_if(model, weights, expected)

    def rollback_if(self, model: str, to_version: str, expected: EndpointStatus) -> EndpointStatus:
        return self.client.rollback_if(model, to_version, expected)

    def load(self, model: str, version: str) -> EndpointStatus:
        return self.client.load(model, version)

    def unload(self, model: str, version: str) -> EndpointStatus:
        return self.client.unload(model, version)

    def close(self) -> None:
        self.client.close()
        self.server.stop()
        self.registry.close()
