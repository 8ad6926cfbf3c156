"""Trial data: readers (csv, parquet, xpt, sas7bdat) and the ADaM data-contract checks."""
from .errors import DataContractError, DataReadError, Problem
from .provenance import FileInfo, sha256_file
from .readers import LoadedData, dataset_name, read_data_folder, read_dataset, read_dataset_with_info

__all__ = [
    "DataContractError", "DataReadError", "Problem", "FileInfo", "sha256_file", "LoadedData",
    "dataset_name", "read_data_folder", "read_dataset", "read_dataset_with_info",
]
