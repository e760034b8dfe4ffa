"""Size classes of a site by its relocated population (搬迁人数, domain.md §2 and §11).

小型 < 800 ≤ 中型 < 3000 ≤ 大型 < 10000 ≤ 特大型. The 800 line is national practice, the others are defaults; the
indicator catalogue (``[size_classes]`` of a catalogue version) may configure other bounds, so functions take
the bounds as an argument and default to these.

>>> size_class(800), size_class(2999), size_class(3000), size_class(12000)
('中型', '中型', '大型', '特大型')
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SizeClass:
    label: str
    min_population: float     # inclusive lower bound of the default configuration


SIZE_CLASSES_REGISTRY: tuple[SizeClass, ...] = (
    SizeClass("小型", 0),
    SizeClass("中型", 800),
    SizeClass("大型", 3000),
    SizeClass("特大型", 10000),
)
SIZE_CLASSES: tuple[str, ...] = tuple(s.label for s in SIZE_CLASSES_REGISTRY)
DEFAULT_BOUNDS: tuple[float, ...] = tuple(s.min_population for s in SIZE_CLASSES_REGISTRY[1:])


def size_index(population: float, bounds: tuple[float, ...] = DEFAULT_BOUNDS) -> int:
    """0-based size class of a population (bounds inclusive: 800 is 中型, 3000 is 大型)."""
    return sum(1 for b in bounds if population >= b)


def size_class(population: float, bounds: tuple[float, ...] = DEFAULT_BOUNDS,
               names: tuple[str, ...] = SIZE_CLASSES) -> str:
    return names[size_index(population, bounds)]
