"""Environments: exact tabular models and vectorised samplers."""

from chapter_code.envs.corridor import Corridor, corridor
from chapter_code.envs.four_rooms import FourRooms, FourRoomsEnv, four_rooms, room_names
from chapter_code.envs.gym_adapter import from_gymnasium
from chapter_code.envs.navigation import Navigation2D, NavigationTaskEnv
from chapter_code.envs.tabular import TabularMDP, policy_evaluation, value_iteration

__all__ = [
    "Corridor",
    "FourRooms",
    "FourRoomsEnv",
    "Navigation2D",
    "NavigationTaskEnv",
    "TabularMDP",
    "corridor",
    "four_rooms",
    "from_gymnasium",
    "policy_evaluation",
    "room_names",
    "value_iteration",
]
