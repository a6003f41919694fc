"""Public signatures of ``infoplane.capacity`` and ``infoplane.estimators`` carry no ``Any``.

Every name in each package's ``__all__`` is resolved (lazy modules included); for a function
its parameter and return annotations are checked, for a class its constructor (dataclass
fields or ``__init__``) and every public method, classmethod, staticmethod and property.
An annotation fails when it is, or contains, :data:`typing.Any`.

NumPy's own aliases are opaque: ``npt.ArrayLike`` and ``npt.NDArray[T]`` are built from
``Any`` inside NumPy (the shape parameter of ``ndarray``, ``dtype[Any]`` in the protocol
behind ``ArrayLike``), so generics from ``numpy._typing`` are not entered and only the dtype
argument of ``ndarray`` is checked (``npt.NDArray[Any]`` still fails).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pytest

PACKAGES = ("infoplane.capacity", "infoplane.estimators")


def _hints(obj: Callable[..., object] | type) -> dict[str, object]:
    """Resolved annotations; names imported only under TYPE_CHECKING (torch) are supplied."""
    import torch
    from torch import nn

    return typing.get_type_hints(obj, localns={"torch": torch, "nn": nn, "np": np, "npt": npt})


def _contains_any(tp: object) -> bool:
    """Whether the annotation `tp` is or contains ``typing.Any`` (NumPy internals excluded)."""
    if tp is Any:
        return True
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is None:
        return False
    if origin is Literal:
        return False
    if origin is np.ndarray:
        return any(_contains_any(a) for a in args[1:])  # args[0] is the (untyped) shape
    if getattr(origin, "__module__", "").startswith("numpy._typing"):
        return False  # the protocols behind npt.ArrayLike
    if isinstance(origin, type) and issubclass(origin, np.dtype):
        return any(_contains_any(a) for a in args)
    return any(_contains_any(a) for a in args if a is not Ellipsis)


def _function_annotations(qual: str, fn: Callable[..., object]) -> Iterator[tuple[str, object]]:
    hints = _hints(fn)
    for name in inspect.signature(fn).parameters:
        if name in hints:
            yield f"{qual}({name})", hints[name]
    if "return" in hints:
        yield f"{qual} -> return", hints["return"]


def _class_annotations(qual: str, cls: type) -> Iterator[tuple[str, object]]:
    if dataclasses.is_dataclass(cls):
        hints = _hints(cls)
        for field in dataclasses.fields(cls):
            if field.init and not field.name.startswith("_"):
                yield f"{qual}.{field.name}", hints[field.name]
    elif "__init__" in vars(cls):
        yield from _function_annotations(f"{qual}.__init__", vars(cls)["__init__"])
    for name, raw in inspect.getmembers_static(cls):
        if name.startswith("_"):
            continue
        if isinstance(raw, staticmethod | classmethod):
            raw = raw.__func__
        if isinstance(raw, property):
            if raw.fget is not None and raw.fget.__module__.startswith("infoplane"):
                yield from _function_annotations(f"{qual}.{name}", raw.fget)
        elif isinstance(raw, types.FunctionType) and raw.__module__.startswith("infoplane"):
            yield from _function_annotations(f"{qual}.{name}", raw)


def _public_annotations(package: str) -> Iterator[tuple[str, object]]:
    pkg = importlib.import_module(package)
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        qual = f"{package}.{name}"
        if isinstance(obj, type):
            yield from _class_annotations(qual, obj)
        elif isinstance(obj, types.FunctionType):
            yield from _function_annotations(qual, obj)


def _offenders(package: str) -> list[str]:
    return [f"{where}: {tp}" for where, tp in _public_annotations(package) if _contains_any(tp)]


@pytest.mark.parametrize("package", PACKAGES)
def test_public_signatures_have_no_any(package: str) -> None:
    annotations = list(_public_annotations(package))
    assert len(annotations) > 50, "the inspection found suspiciously few annotations"
    bad = _offenders(package)
    assert not bad, "public annotations with typing.Any:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", PACKAGES)
def test_public_callables_are_fully_annotated(package: str) -> None:
    """Every parameter (bar self/cls) and every return of a public callable is annotated."""
    missing: list[str] = []
    pkg = importlib.import_module(package)
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        fns: list[tuple[str, Callable[..., object]]] = []
        if isinstance(obj, types.FunctionType):
            fns.append((name, obj))
        elif isinstance(obj, type):
            for attr, raw in inspect.getmembers_static(obj):
                fn = raw.__func__ if isinstance(raw, staticmethod | classmethod) else raw
                if (not attr.startswith("_") and isinstance(fn, types.FunctionType)
                        and fn.__module__.startswith("infoplane")):
                    fns.append((f"{name}.{attr}", fn))
        for qual, fn in fns:
            hints = _hints(fn)
            params = [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]
            missing += [f"{qual}({p})" for p in params if p not in hints]
            if "return" not in hints:
                missing.append(f"{qual} -> return")
    assert not missing, "unannotated public parameters or returns:\n" + "\n".join(missing)


# ---- the checker itself ------------------------------------------------------------------


def _typed_any(x: Any) -> int:  # pragma: no cover - inspected, never called
    return 0


def _typed_nested(x: dict[str, list[Any]]) -> int:  # pragma: no cover
    return 0


def _typed_clean(x: npt.ArrayLike, y: npt.NDArray[np.float64],
                 mode: Literal["a", "b"] = "a") -> dict[str, float] | None:  # pragma: no cover
    return None


def _typed_ndarray_any(x: npt.NDArray[Any]) -> int:  # pragma: no cover
    return 0


@pytest.mark.parametrize(("fn", "flagged"), [
    (_typed_any, True), (_typed_nested, True), (_typed_ndarray_any, True), (_typed_clean, False),
])
def test_checker_detects_any(fn: Callable[..., object], flagged: bool) -> None:
    found = any(_contains_any(tp) for _, tp in _function_annotations(fn.__name__, fn))
    assert found is flagged
