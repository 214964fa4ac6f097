"""Rating data: load MovieLens (any official layout) or your own CSV, validate, encode, split.

>>> from movierate.data import load_dataset, make_split, synthetic_dataset
>>> ds = load_dataset("ml-latest-small")  # doctest: +SKIP
>>> ds = synthetic_dataset(n_ratings=2000, n_users=40, n_movies=60, seed=0)  # offline stand-in
>>> split = make_split(ds, method="per_user", test_fraction=0.1, seed=42)
>>> len(split.train) + len(split.stop) + len(split.test) == len(ds)
True

No TensorFlow here: pandas, numpy and pyarrow only.
"""

from movierate.data.acquire import (
    case_twins_text,
    check_dataset_name,
    damaged_imports,
    damaged_imports_text,
    data_folder_text,
    download_dataset,
    free_dataset_name,
    import_zip,
    max_extract_bytes,
    official_split_names,
    store_zip,
    unusable_folders,
    unusable_folders_text,
)
from movierate.data.custom import csv_columns, from_csv
from movierate.data.dataset import RatingScale, RatingsDataset
from movierate.data.load import (
    DatasetStatus,
    dataset_status,
    from_zip_bytes,
    load_dataset,
    load_dataset_by_name,
)
from movierate.data.registry import KNOWN_DATASETS
from movierate.data.splits import SPLIT_METHODS, Split, make_split
from movierate.data.synthetic import synthetic_dataset, write_movielens_csv

__all__ = [
    "official_split_names",
    "damaged_imports",
    "damaged_imports_text",
    "unusable_folders",
    "unusable_folders_text",
    "KNOWN_DATASETS",
    "SPLIT_METHODS",
    "DatasetStatus",
    "RatingScale",
    "RatingsDataset",
    "Split",
    "case_twins_text",
    "data_folder_text",
    "check_dataset_name",
    "dataset_status",
    "download_dataset",
    "csv_columns",
    "from_csv",
    "free_dataset_name",
    "from_zip_bytes",
    "import_zip",
    "load_dataset",
    "load_dataset_by_name",
    "make_split",
    "max_extract_bytes",
    "store_zip",
    "synthetic_dataset",
    "write_movielens_csv",
]
