import pytest

from domain import sizes as S
from scoring.catalogue import load_catalogue


@pytest.mark.parametrize("population,label", [(0, "小型"), (799, "小型"), (800, "中型"), (2999.5, "中型"),
                                              (3000, "大型"), (9999, "大型"), (10000, "特大型"), (52000, "特大型")])
def test_size_class_bounds_are_inclusive(population, label):
    assert S.size_class(population) == label


def test_custom_bounds():
    assert S.size_class(900, bounds=(1000, 3000, 10000)) == "小型"


def test_default_catalogue_agrees_with_the_registry():
    cat = load_catalogue("v1")
    assert cat.size_classes == S.SIZE_CLASSES
    assert tuple(cat.size_bounds) == S.DEFAULT_BOUNDS
