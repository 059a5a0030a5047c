"""bf16 mixed precision for the DQN: which passes run in bfloat16 (training's; acting stays
float32), what stays float32, how close the numbers stay to float32's, and that the choice
travels through the CLI and agent files."""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents.config import ConfigError
from agents.dqn import DQN
from agents.dqn_training import td_targets
from agents.presets import add_dqn_arguments, dqn_hyperparameters

FRAMES = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
ACTIONS = gym.spaces.Discrete(6)


def frames_agent(precision: str, seed: int = 0) -> DQN:
    agent = DQN(FRAMES, ACTIONS, device="cpu", seed=seed, hidden=(512,), buffer_size=64,
                batch_size=8, learning_starts=8, train_freq=1, double=False, precision=precision)
    rng = np.random.default_rng(seed)
    obs = rng.integers(0, 256, (4, 84, 84), dtype=np.uint8)
    for step in range(12):  # shifting stacks, as a frame stacker makes them
        nxt = np.concatenate([obs[1:], rng.integers(0, 256, (1, 84, 84), dtype=np.uint8)])
        agent.update(obs, step % 6, float(step % 3 - 1), nxt, False)
        obs = nxt
    return agent


def conv_output_dtypes(agent: DQN) -> list[torch.dtype]:
    """Dtypes of the first convolution's output, online and target network, as passes run."""
    seen: list[torch.dtype] = []
    for net in (agent.q_net, agent.target_net):
        net.cnn[0].register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    return seen


@pytest.mark.parametrize("precision, dtype", [("fp32", torch.float32), ("bf16", torch.bfloat16)])
def test_passes_run_in_the_chosen_precision_and_weights_stay_float32(precision, dtype):
    agent = frames_agent(precision)
    seen = conv_output_dtypes(agent)
    before = [p.detach().clone() for p in agent.q_net.parameters()]
    stats = agent.train(1)  # the target network's pass, then the online one's
    obs = np.zeros((4, 84, 84), np.uint8)
    agent.greedy(obs)
    q = agent.q_values(obs[None])
    # the target and online passes of training, then acting and the views in float32
    assert seen == [dtype, dtype, torch.float32, torch.float32]
    assert agent.q_net(torch.zeros((1, 4, 84, 84), dtype=torch.uint8)).dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in agent.q_net.parameters())
    assert all(s.dtype == torch.float32 for s in agent.optimizer.state_dict()["state"][0].values()
               if s.dim() > 0)
    assert any(not torch.equal(a, b) for a, b in zip(before, agent.q_net.parameters()))
    assert np.isfinite(stats.loss) and q.dtype == np.float64 and q.shape == (1, 6)


def test_bf16_targets_and_gradients_stay_close_to_float32():
    """Same weights, same batch: bfloat16 keeps 8 bits of mantissa, so values agree to ~1%."""
    full, half = frames_agent("fp32"), frames_agent("bf16")
    batch = full.buffer.sample(8)
    results = []
    for agent in (full, half):
        with agent.autocast():
            target = td_targets(agent.q_net, agent.target_net, batch.next_obs, batch.returns,
                                batch.discounts, double=False)
            loss, q, grads = agent._loss_and_grads(batch.obs, batch.actions, target)
        results.append((target, q, loss, grads))
    (t32, q32, l32, g32), (t16, q16, l16, g16) = results
    assert t16.dtype == q16.dtype == l16.dtype == torch.float32
    scale = q32.abs().max()
    assert (q16 - q32).abs().max() <= 0.02 * scale and (t16 - t32).abs().max() <= 0.02 * scale
    for a, b in zip(g32, g16):
        assert b.dtype == torch.float32
        cos = torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0)
        assert cos > 0.99


def test_precision_is_chosen_by_flag_switched_live_and_refused_in_one_sentence():
    parser = argparse.ArgumentParser()
    add_dqn_arguments(parser)
    args = parser.parse_args(["--precision", "bf16"])
    assert dqn_hyperparameters(args, "CartPole-v1")["precision"] == "bf16"
    with pytest.raises(SystemExit):
        parser.parse_args(["--precision", "fp16"])
    with pytest.raises(ConfigError, match="precision must be one of fp32, bf16, got 'fp16'"):
        DQN(FRAMES, ACTIONS, device="cpu", precision="fp16")
    agent = frames_agent("fp32")
    seen = conv_output_dtypes(agent)
    agent.set_hyperparameters(precision="bf16")
    agent.train(1)  # the target network's pass, then the online one's
    assert seen == [torch.bfloat16, torch.bfloat16]


def test_bf16_is_refused_on_a_gpu_without_it(monkeypatch):
    from agents.dqn import check_precision

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a, **k: "Tesla K80")
    with pytest.raises(ConfigError, match="needs a GPU with bfloat16 support, and Tesla K80 has"):
        check_precision("bf16", torch.device("cuda:0"))
    check_precision("fp32", torch.device("cuda:0"))
    check_precision("bf16", torch.device("cpu"))  # slower without AVX512-BF16, never refused


def test_native_bf16_is_asked_of_the_device(monkeypatch):
    from agents.torchdevice import has_native_bf16

    assert isinstance(has_native_bf16("cpu"), bool)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert has_native_bf16("cuda") is False
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True:
                        including_emulation)  # a GPU that only emulates bfloat16
    assert has_native_bf16("cuda:0") is False


def test_an_agent_file_keeps_its_precision(tmp_path):
    from agents.storage import load_agent, save_agent

    agent = frames_agent("bf16")
    path = tmp_path / "bf16.pt"
    save_agent(path, agent)
    loaded, _ = load_agent(path, device="cpu")
    assert loaded.config.precision == "bf16"
    obs = np.random.default_rng(3).integers(0, 256, (2, 4, 84, 84), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.q_values(obs), agent.q_values(obs))


def test_the_cli_trains_in_bf16_and_says_so(tmp_path, capsys):
    import json

    from agents.cli import main
    from agents.dqn_storage import load_dqn

    out = tmp_path / "lake.pt"
    args = ["train", "--env", "FrozenLake-v1:is_slippery=False", "--agent", "dqn", "--steps",
            "120", "--learning-starts", "60", "--train-freq", "1", "--batch-size", "16",
            "--device", "cpu", "--precision", "bf16", "--out", str(out), "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["precision"] == "bf16" and summary["device"] == "cpu"
    agent, _ = load_dqn(out, device="cpu")
    assert agent.config.precision == "bf16" and agent.num_updates == 60
