"""The three implementations behind one small interface, so one piece of graph code drives them all.

Each `Impl` has `leaf(x)` (a differentiable input holding the float x), `grad(leaf)` (its gradient
after `backward`, as a float) and `backward(out)`.  Graph code only uses Python operators and the
methods `.relu() .tanh() .exp() .log()` on what `leaf` returns, with plain floats as constants.
micrograd and PyTorch are optional: `available()` lists what is installed and why the rest is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common import module_available


@dataclass
class Impl:
    name: str
    leaf: Callable[[float], Any]
    grad: Callable[[Any], float]
    backward: Callable[[Any], None]
    value: Callable[[Any], float]
    count_nodes: Callable[[Any], int]
    has: frozenset = field(default_factory=frozenset)  # methods beyond micrograd's set: tanh, exp, log


def _count(root: Any, children: Callable[[Any], Any]) -> int:
    """Distinct nodes reachable from root (iterative, any depth)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in children(stack.pop()):
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def gradcli_impl() -> Impl:
    from gradcli import Value

    return Impl(
        name="gradcli",
        leaf=Value,
        grad=lambda v: float(v.grad),
        backward=lambda out: out.backward(),
        value=lambda v: float(v.data),
        count_nodes=lambda out: _count(out, lambda v: v.args if hasattr(v, "args") else v._prev),
        has=frozenset({"tanh", "exp", "log"}),
    )


def micrograd_impl() -> Impl:
    from micrograd.engine import Value

    return Impl(
        name="micrograd",
        leaf=lambda x: Value(float(x)),
        grad=lambda v: float(v.grad),
        backward=lambda out: out.backward(),
        value=lambda v: float(v.data),
        count_nodes=lambda out: _count(out, lambda v: v._prev),
        has=frozenset(m for m in ("tanh", "exp", "log") if hasattr(Value, m)),
    )


def torch_impl() -> Impl:
    import torch

    f64 = torch.float64

    def count(out: Any) -> int:
        # autograd Nodes (one per differentiable op, one AccumulateGrad per leaf)
        return _count(out.grad_fn, lambda n: (f for f, _ in n.next_functions))

    return Impl(
        name="torch",
        leaf=lambda x: torch.tensor(float(x), dtype=f64, requires_grad=True),
        grad=lambda t: 0.0 if t.grad is None else float(t.grad.item()),
        backward=lambda out: out.backward(),
        value=lambda t: float(t.item()),
        count_nodes=count,
        has=frozenset({"tanh", "exp", "log"}),
    )


FACTORIES = {"gradcli": gradcli_impl, "micrograd": micrograd_impl, "torch": torch_impl}
MODULES = {"gradcli": "gradcli", "micrograd": "micrograd", "torch": "torch"}


def available(names: tuple[str, ...] = ("gradcli", "micrograd", "torch")) -> tuple[list[Impl], dict[str, str]]:
    """(installed implementations, {name: why it is skipped})."""
    impls, skipped = [], {}
    for name in names:
        if not module_available(MODULES[name]):
            skipped[name] = f"{name} is not installed (pip install {'torch' if name == 'torch' else name})"
            continue
        try:
            impls.append(FACTORIES[name]())
        except Exception as exc:  # noqa: BLE001 - a broken install is a skip, not a crash
            skipped[name] = f"{name} failed to import: {exc.__class__.__name__}: {exc}"
    return impls, skipped
