"""The course's CNN on CIFAR-10, trained through the gradient-oracle interface:
data → network → oracle → heavy-ball step → metrics → figures."""

from workbench.cifar.data import Cifar10, Split, UnofficialDataWarning
from workbench.cifar.data import load as load_data
from workbench.cifar.evaluate import evaluate
from workbench.cifar.net import Net, load_model, make_net, save_model
from workbench.cifar.oracle import ORACLES, SpotCheckedOracle, make_oracle
from workbench.cifar.recipes import RECIPES, Recipe
from workbench.cifar.train import TrainConfig, train

__all__ = [
    "Cifar10", "Net", "ORACLES", "RECIPES", "Recipe", "Split", "SpotCheckedOracle",
    "TrainConfig", "UnofficialDataWarning", "evaluate", "load_data", "load_model", "make_net",
    "make_oracle", "save_model", "train",
]
