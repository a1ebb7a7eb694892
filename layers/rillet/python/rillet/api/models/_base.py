"""What every API model shares: reason codes carried by the fields, and their mapping.

A request that breaks its model is refused with the same reason code and status as
before the models existed. Each field carries its code in its annotation
(``Annotated[str, Reason("invalid-user-name", InvalidName)]``); a model names the code
of everything else (unknown fields, a field without its own reason). ``domain_error``
turns pydantic's errors into that one domain error, which ``runtime/http.py`` maps to
the status, like every other refusal.

Deeper rules (reserved names, https URLs, per-provider publisher fields) stay in the
domain (``core/``); the models carry them only as documentation where the domain
answers with a different code than the shape check would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
)
from pydantic_core import PydanticCustomError, core_schema

from rillet.core.errors import InvalidName, InvalidRequest, RilletError

# The pydantic error type of a refusal that already carries its reason code.
RILLET_ERROR = "rillet"
# Codes that Reason markers may carry, with their kind (a code has one kind, one status).
_KINDS: dict[str, type[RilletError]] = {
    "invalid-request": InvalidRequest,
    "invalid-name": InvalidName,
}


def refusal(code: str, message: str) -> PydanticCustomError:
    """A validation error with a reason code (the code must be registered by a Reason)."""
    return PydanticCustomError(RILLET_ERROR, "{message}", {"reason": code, "message": message})


@dataclass(frozen=True)
class Reason:
    """The reason code (and kind, hence status) of any failure of the annotated value.

    ``message`` replaces pydantic's own text when given. A failure inside the value that
    already has a code (an item of a list of names) keeps its own.
    """

    code: str
    kind: type[RilletError] = InvalidRequest
    message: str | None = None

    def __post_init__(self) -> None:
        known = _KINDS.setdefault(self.code, self.kind)
        if known is not self.kind:
            raise TypeError(f"reason {self.code} is already a {known.__name__}")

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def wrap(value: Any, inner: core_schema.ValidatorFunctionWrapHandler) -> Any:
            try:
                return inner(value)
            except ValidationError as exc:
                first = exc.errors()[0]
                if first["type"] == RILLET_ERROR:  # already has its code
                    raise refusal(first["ctx"]["reason"], first["ctx"]["message"]) from None
                raise refusal(self.code, self.message or first["msg"]) from None

        return core_schema.no_info_wrap_validator_function(wrap, handler(source))


def check(code: str, kind: type[RilletError], test: Callable[[Any], bool], message: str) -> Any:
    """An after-validator refusing values for which ``test`` is false, with ``code``."""
    _KINDS.setdefault(code, kind)

    def validate(value: Any) -> Any:
        if not test(value):
            raise refusal(code, message)
        return value

    return AfterValidator(validate)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent() -> Any:
    """The default of an optional field whose presence matters (``null`` is refused):
    the service reads ``model_fields_set``. Not documented as ``default: null``."""
    return Field(default=None, json_schema_extra=_no_default)


class RequestModel(BaseModel):
    """A JSON request body. Strict: no "7" for 7, no 1 for true, as before the models."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)
    # The code of failures without a field reason (unknown fields, the body's shape).
    default_reason: ClassVar[Reason] = Reason("invalid-request")

    def given(self) -> dict[str, Any]:
        """The fields the request set, as JSON values (what services read today)."""
        return self.model_dump(include=self.model_fields_set)


class ResponseModel(BaseModel):
    """A JSON response body (documentation and contract tests; the wire format is the
    services' own ``to_json``)."""

    model_config = ConfigDict(extra="forbid")


class Error(ResponseModel):
    """Every JSON refusal: match on ``error``, never on ``message``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"error": "channel-not-found", "message": "no channel x"}]},
    )
    error: str = Field(description="the stable reason code", examples=["channel-not-found"])
    message: str = Field(description="for people; may change")


def _field_reason(model: type[BaseModel] | None, name: Any) -> Reason | None:
    if model is None or not isinstance(name, str) or name not in model.model_fields:
        return None
    return next((m for m in model.model_fields[name].metadata if isinstance(m, Reason)), None)


def _where(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts)


def domain_error(errors: Sequence[Mapping[str, Any]], model: type[BaseModel] | None) -> RilletError:
    """The one refusal for a request that broke its model: its first error's reason.

    ``loc`` is pydantic's (``("body", "name")``, ``("query", "limit")``); a missing
    field has no value to run its validators on, so its code comes from its annotation.
    """
    if not errors:
        return InvalidRequest("the request is not valid")
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    where = _where(loc)
    ctx = first.get("ctx") or {}
    kind: str = first.get("type", "")
    if kind == RILLET_ERROR:
        code, message = str(ctx["reason"]), str(ctx["message"])
        return _KINDS.get(code, InvalidRequest)(f"'{where}': {message}", code=code)
    in_body = loc[:1] == ("body",)
    field = _field_reason(model, loc[1]) if in_body and len(loc) > 1 else None
    default = getattr(model, "default_reason", None) if in_body else None
    reason = field or default or Reason("invalid-request")
    if kind == "missing":
        message = f"'{where}' is required"
    elif kind == "extra_forbidden":
        message = f"unknown field '{where}'"
    else:
        message = f"'{where}': {reason.message or first.get('msg', 'invalid')}"
    return reason.kind(message, code=reason.code)
