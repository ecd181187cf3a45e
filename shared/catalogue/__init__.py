"""The matter catalogue: the municipal lines, their matters and what each matter needs.

`model` holds the validated data model every process shares (the hub serves it,
the kiosk offers it, cases record the version they were handled under).
"""

from shared.catalogue.model import (
    DEVICE_KINDS,
    Catalogue,
    DeviceKind,
    Difficulty,
    Line,
    MaterialItem,
    Matter,
    OfferedMatter,
)

__all__ = [
    "DEVICE_KINDS",
    "Catalogue",
    "DeviceKind",
    "Difficulty",
    "Line",
    "MaterialItem",
    "Matter",
    "OfferedMatter",
]
