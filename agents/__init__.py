"""Agents (tabular TD, DQN), the UI-free TrainingSession, planning and the CLI.

``agents.build(kind, env, config, seed)`` makes any agent; every agent satisfies
:class:`agents.protocol.Agent`.
"""

from agents.factory import KINDS, TABULAR_KINDS, build
from agents.protocol import Agent

__all__ = ["KINDS", "TABULAR_KINDS", "Agent", "build"]
