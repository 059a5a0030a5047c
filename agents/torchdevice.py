"""Where a DQN's tensors live, and whether that device can run the arithmetic asked of it.

Both checks refuse in one sentence up front what torch would otherwise fail on deep inside a
training step: a GPU that is not there, a device name torch misreads, bf16 on a GPU without it.
Imported by the DQN and its file loaders (torch is already loaded there).
"""

from __future__ import annotations

import re

import torch

from agents.config import ConfigError, check_device_name


def resolve_device(requested: str = "auto") -> str:
    """Pick the torch device: ``"auto"`` is ``"cuda"`` when torch sees a GPU, else ``"cpu"``.

    An explicit ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` is honoured, and asking for CUDA on a machine
    without it is refused here, in one sentence, rather than deep inside torch later.
    """
    name = check_device_name(requested)
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return "cpu"
    match = re.fullmatch(r"cuda(?::(\d+))?", name)
    if match is None:
        raise ConfigError(f"device must be auto, cpu, cuda or cuda:N, got {requested!r}")
    if match.group(1) is not None:
        name = f"cuda:{int(match.group(1))}"  # torch refuses "cuda:01"
    if not torch.cuda.is_available():
        raise ConfigError(
            f"device {requested!r} was asked for but torch sees no CUDA GPU here; use cpu or auto"
        )
    if match.group(1) is not None and int(match.group(1)) >= torch.cuda.device_count():
        raise ConfigError(
            f"device {requested!r} does not exist: torch sees {torch.cuda.device_count()} GPU(s)"
        )
    return name


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse bf16 on a GPU that cannot run bfloat16 at all (autocast would fail mid-training).

    A CPU without bf16 arithmetic still runs it (oneDNN converts, slower than fp32); the help
    text of ``precision`` says so.
    """
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ConfigError(f"precision bf16 needs a GPU with bfloat16 support, and "
                          f"{torch.cuda.get_device_name(device)} has none: use fp32")


def has_native_bf16(device: torch.device | str = "cpu") -> bool:
    """Whether ``device`` does bfloat16 arithmetic in hardware: a GPU torch says supports it, or
    a CPU with AVX512-BF16 or AMX for oneDNN (elsewhere bf16 runs, converted, slower than fp32)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # pragma: no cover - a torch without oneDNN
        return False
