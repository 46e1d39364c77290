"""SSM Parameter Store: the policies and their signatures.

Values are returned exactly as SSM holds them (str); callers hash
`value.encode("utf-8")`, which is what the TVM verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from dateutil.tz import tzlocal

from .errors import AwsError
from .session import Clients

LIST_PAGE = 10  # GetParametersByPath's maximum
DESCRIBE_PAGE = 50  # DescribeParameters' maximum
GET_BATCH = 10  # GetParameters' maximum
_LOCAL_ZONE = tzlocal()


@dataclass(frozen=True)
class Parameter:
    name: str
    value: str | None  # None when only metadata was read
    version: int
    last_modified: datetime | None = None
    type: str = "String"
    last_modified_user: str | None = None
    tier: str | None = None

    @property
    def data(self) -> bytes:
        return (self.value or "").encode("utf-8")


def _one_zone(when: datetime | None) -> datetime | None:
    """botocore gives every timestamp a zone object of its own (dateutil's tzlocal, ~450 bytes):
    the same zone, shared, for the thousands of parameters a fleet keeps."""
    if when is not None and type(when.tzinfo) is tzlocal:
        return when.replace(tzinfo=_LOCAL_ZONE)
    return when


def _param(raw: dict) -> Parameter:
    return Parameter(
        name=raw["Name"],
        value=raw.get("Value"),
        version=int(raw.get("Version", 0)),
        last_modified=_one_zone(raw.get("LastModifiedDate")),
        type=raw.get("Type", "String"),
        last_modified_user=raw.get("LastModifiedUser"),
        tier=raw.get("Tier"),
    )


class ParameterStore:
    """The SSM calls sentinel_tui makes, each translated into a domain error on failure."""

    def __init__(self, clients: Clients):
        self.clients = clients

    @property
    def _ssm(self):
        return self.clients.client("ssm")

    def _fail(self, exc: BaseException, operation: str, resource: str | None) -> AwsError:
        return self.clients.fail(exc, "ssm", operation, resource)

    def list_values(self, path: str, *, decrypt: bool = True) -> Iterator[list[Parameter]]:
        """GetParametersByPath, recursive, one page (<= 10 parameters) at a time, values included."""
        token = None
        while True:
            kwargs = dict(Path=path, Recursive=True, WithDecryption=decrypt, MaxResults=LIST_PAGE)
            if token:
                kwargs["NextToken"] = token
            try:
                answer = self._ssm.get_parameters_by_path(**kwargs)
            except Exception as exc:
                raise self._fail(exc, "GetParametersByPath", path) from None
            page = [_param(p) for p in answer.get("Parameters", [])]
            token = answer.get("NextToken")
            if page or not token:
                yield page
            if not token:
                return

    def list_metadata(self, path: str) -> Iterator[list[Parameter]]:
        """DescribeParameters under a path: names, versions and dates, never values."""
        token = None
        while True:
            kwargs = dict(
                ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [path]}],
                MaxResults=DESCRIBE_PAGE,
            )
            if token:
                kwargs["NextToken"] = token
            try:
                answer = self._ssm.describe_parameters(**kwargs)
            except Exception as exc:
                raise self._fail(exc, "DescribeParameters", path) from None
            yield [_param(p) for p in answer.get("Parameters", [])]
            token = answer.get("NextToken")
            if not token:
                return

    def get(self, name: str, *, decrypt: bool = True) -> Parameter | None:
        """One parameter with its value and version; None when it does not exist."""
        try:
            answer = self._ssm.get_parameter(Name=name, WithDecryption=decrypt)
        except self._ssm.exceptions.ParameterNotFound:
            return None
        except Exception as exc:
            raise self._fail(exc, "GetParameter", name) from None
        return _param(answer["Parameter"])

    def get_many(self, names: list[str], *, decrypt: bool = True) -> dict[str, Parameter]:
        """GetParameters in batches of ten; names that do not exist are absent from the result."""
        found: dict[str, Parameter] = {}
        for start in range(0, len(names), GET_BATCH):
            batch = names[start:start + GET_BATCH]
            try:
                answer = self._ssm.get_parameters(Names=batch, WithDecryption=decrypt)
            except Exception as exc:
                raise self._fail(exc, "GetParameters", batch[0]) from None
            for raw in answer.get("Parameters", []):
                found[raw["Name"]] = _param(raw)
        return found

    def history(self, name: str, *, decrypt: bool = True) -> list[Parameter]:
        """Every stored version, oldest first; [] when the parameter does not exist."""
        versions: list[Parameter] = []
        token = None
        while True:
            kwargs = dict(Name=name, WithDecryption=decrypt, MaxResults=50)
            if token:
                kwargs["NextToken"] = token
            try:
                answer = self._ssm.get_parameter_history(**kwargs)
            except self._ssm.exceptions.ParameterNotFound:
                return []
            except Exception as exc:
                raise self._fail(exc, "GetParameterHistory", name) from None
            versions.extend(_param(p) for p in answer.get("Parameters", []))
            token = answer.get("NextToken")
            if not token:
                break
        versions.sort(key=lambda p: p.version)
        return versions

    def put(self, name: str, value: str, *, overwrite: bool = True, description: str | None = None) -> int:
        """PutParameter, Standard tier, String type (as the Go CLI writes); returns the new version."""
        kwargs = dict(Name=name, Value=value, Type="String", Tier="Standard", Overwrite=overwrite)
        if description:
            kwargs["Description"] = description
        try:
            answer = self._ssm.put_parameter(**kwargs)
        except Exception as exc:
            raise self._fail(exc, "PutParameter", name) from None
        return int(answer["Version"])

    def create(self, name: str, value: str) -> bool:
        """PutParameter without overwrite (SSM's one atomic create-if-absent); False when it exists."""
        try:
            self._ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=False, Tier="Standard")
        except self._ssm.exceptions.ParameterAlreadyExists:
            return False
        except Exception as exc:
            raise self._fail(exc, "PutParameter", name) from None
        return True

    def delete(self, name: str) -> bool:
        """DeleteParameter; False when it was already gone."""
        try:
            self._ssm.delete_parameter(Name=name)
        except self._ssm.exceptions.ParameterNotFound:
            return False
        except Exception as exc:
            raise self._fail(exc, "DeleteParameter", name) from None
        return True
