"""Low-level, hostile-file-safe reader of .xlsx packages (stdlib zip + expat/ElementTree only):
classify the container, vet the zip, read workbook facts and stream worksheet cells."""

from xlcheck.xlsx.cells import RawCell
from xlcheck.xlsx.container import classify_bytes
from xlcheck.xlsx.errors import ERROR_CODES, PackageError
from xlcheck.xlsx.limits import Limits
from xlcheck.xlsx.package import XlsxPackage, open_package
from xlcheck.xlsx.props import CoreProperties
from xlcheck.xlsx.sheet import SheetData
from xlcheck.xlsx.workbook import DefinedName, SheetInfo

__all__ = [
    "ERROR_CODES",
    "CoreProperties",
    "DefinedName",
    "Limits",
    "PackageError",
    "RawCell",
    "SheetData",
    "SheetInfo",
    "XlsxPackage",
    "classify_bytes",
    "open_package",
]
