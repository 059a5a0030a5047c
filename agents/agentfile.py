"""The error every agent file format raises: one sentence naming the file and what is wrong.

Kept apart from :mod:`agents.storage` so the formats (``.npz`` there, ``.pt`` in
:mod:`agents.dqn_storage`) can share it without importing each other.
"""


class AgentFileError(ValueError):
    """An agent file that cannot be written or used; the message is one sentence."""
