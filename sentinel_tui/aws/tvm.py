"""Lambda: find the TVMs, i.e. functions whose environment names a Sentinel policy parameter."""

from __future__ import annotations

from ..core.tvm import ENV_POLICY_PARAMETER, TvmConfig

from .session import Clients


class TvmDiscovery:
    def __init__(self, clients: Clients):
        self.clients = clients

    def list(self) -> list[TvmConfig]:
        """Every function with SENTINEL_POLICY_PARAMETER set (ListFunctions includes the environment)."""
        lam = self.clients.client("lambda")
        found: list[TvmConfig] = []
        marker = None
        while True:
            kwargs = {"MaxItems": 50}
            if marker:
                kwargs["Marker"] = marker
            try:
                answer = lam.list_functions(**kwargs)
            except Exception as exc:
                raise self.clients.fail(exc, "lambda", "ListFunctions") from None
            for fn in answer.get("Functions", []):
                env = (fn.get("Environment") or {}).get("Variables") or {}
                if env.get(ENV_POLICY_PARAMETER):
                    found.append(TvmConfig.from_env(fn["FunctionName"], env, arn=fn.get("FunctionArn")))
            marker = answer.get("NextMarker")
            if not marker:
                return sorted(found, key=lambda t: t.source)
