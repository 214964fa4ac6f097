"""The GroupLens MovieLens datasets movierate knows by name, where they come from, their scales."""

from __future__ import annotations

import os
from dataclasses import dataclass

from movierate.data.dataset import RatingScale

DEFAULT_DOWNLOAD_URL = "https://files.grouplens.org/datasets/movielens"
HALF_STARS = RatingScale(0.5, 5.0, 0.5)
WHOLE_STARS = RatingScale(1.0, 5.0, 1.0)


@dataclass(frozen=True)
class KnownDataset:
    """A GroupLens dataset: ``folder`` is the top folder inside its official zip."""

    name: str
    folder: str
    approx_ratings: int
    scale: RatingScale
    download_mb: int

    @property
    def zip_name(self) -> str:
        return f"{self.name}.zip"

    @property
    def url(self) -> str:
        """Download address; the base can be changed with ``MOVIERATE_DOWNLOAD_URL``."""
        base = os.environ.get("MOVIERATE_DOWNLOAD_URL") or DEFAULT_DOWNLOAD_URL
        return f"{base.rstrip('/')}/{self.zip_name}"


KNOWN_DATASETS: dict[str, KnownDataset] = {
    d.name: d
    for d in (
        KnownDataset("ml-latest-small", "ml-latest-small", 100_836, HALF_STARS, 1),
        KnownDataset("ml-100k", "ml-100k", 100_000, WHOLE_STARS, 5),
        KnownDataset("ml-1m", "ml-1m", 1_000_209, WHOLE_STARS, 6),
        KnownDataset("ml-10m", "ml-10M100K", 10_000_054, HALF_STARS, 63),
        KnownDataset("ml-20m", "ml-20m", 20_000_263, HALF_STARS, 190),
        KnownDataset("ml-25m", "ml-25m", 25_000_095, HALF_STARS, 250),
        KnownDataset("ml-32m", "ml-32m", 32_000_204, HALF_STARS, 239),
    )
}


def name_for_folder(folder_name: str) -> str:
    """The dataset name of an extracted folder: ``ml-10M100K`` -> ``ml-10m``, others unchanged."""
    for known in KNOWN_DATASETS.values():
        if known.folder == folder_name:
            return known.name
    return folder_name
