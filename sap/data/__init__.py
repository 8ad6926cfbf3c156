"""Trial data: readers (csv, parquet, xpt, sas7bdat) and the ADaM data-contract checks."""
from .contract import check_contract, check_visit_windows, find_contract_problems, record_numbers
from .defaults import default_requirements_for_contract
from .errors import DataContractError, DataReadError, Problem
from .provenance import FileInfo, sha256_file
from .readers import LoadedData, dataset_name, read_data_folder, read_dataset, read_dataset_with_info
from .requirements import (AllowedValues, ColumnSpec, DataRequirements, UniqueKey, ValueRange,
                           VisitSchedule, visit_from_row)

__all__ = [
    "check_contract", "check_visit_windows", "find_contract_problems", "record_numbers",
    "default_requirements_for_contract", "DataContractError", "DataReadError", "Problem",
    "FileInfo", "sha256_file", "LoadedData", "dataset_name", "read_data_folder", "read_dataset",
    "read_dataset_with_info", "AllowedValues", "ColumnSpec", "DataRequirements", "UniqueKey",
    "ValueRange", "VisitSchedule", "visit_from_row",
]
