"""The Hugging Face Deep RL course, unit 2 (Q-learning): its settings and evaluation seeds.

Source: huggingface/deep-rl-class, ``notebooks/unit2/unit2.ipynb`` (also ``unit2.mdx``), the Taxi-v3
hyperparameter cell ("DO NOT MODIFY EVAL_SEED"). Each seed fixes the taxi's starting position, so
every learner's agent is scored on the same 100 episodes. The course's Taxi-v3 is served by
Gymnasium 1.4 as Taxi-v4 with the same default dynamics.
"""

from __future__ import annotations

EVAL_SEEDS: tuple[int, ...] = (
    16, 54, 165, 177, 191, 191, 120, 80, 149, 178, 48, 38, 6, 125, 174, 73, 50, 172, 100, 148,
    146, 6, 25, 40, 68, 148, 49, 167, 9, 97, 164, 176, 61, 7, 54, 55, 161, 131, 184, 51,
    170, 12, 120, 113, 95, 126, 51, 98, 36, 135, 54, 82, 45, 95, 89, 59, 95, 124, 9, 113,
    58, 85, 51, 134, 121, 169, 105, 21, 30, 11, 50, 65, 12, 43, 82, 145, 152, 97, 106, 55,
    31, 85, 38, 112, 102, 168, 123, 97, 21, 83, 158, 26, 80, 63, 5, 81, 32, 11, 28, 148,
)

# The course's training settings (learning_rate, gamma, max_steps, epsilon 1.0 -> 0.05).
FROZENLAKE = {"n_training_episodes": 10_000, "learning_rate": 0.7, "gamma": 0.95,
              "max_steps": 99, "max_epsilon": 1.0, "min_epsilon": 0.05, "decay_rate": 0.0005}
TAXI = {"n_training_episodes": 25_000, "learning_rate": 0.7, "gamma": 0.95,
        "max_steps": 99, "max_epsilon": 1.0, "min_epsilon": 0.05, "decay_rate": 0.005}


def eval_seeds(n: int, seed: int | None = None) -> list[int]:
    """Seeds of ``n`` evaluation episodes: ``seed, seed+1, ...`` when given, else the course's list.

    Past the course's 100 seeds the list continues with 1000, 1001, ..., seeds the course's list
    (all below 192) never uses.
    """
    if seed is not None:
        return [seed + i for i in range(n)]
    return [EVAL_SEEDS[i] if i < len(EVAL_SEEDS) else 1000 + i - len(EVAL_SEEDS)
            for i in range(n)]
