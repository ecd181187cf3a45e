"""ID card readers: the `CardReader` contract, its backends and `open_card_reader`.

Backends: `sam-serial` (GA/T 467 SAM over a serial port), `pcsc` (social security
cards and SAM readers through pcscd), `manual` (typed by staff), `simulated` (the
demo's fictional residents). Each blocking library runs on its own device thread.
"""

from __future__ import annotations

from kiosk.devices.idcard.base import (
    CardReader,
    CardRemoved,
    IdCardReaderConfig,
    InvalidCardData,
    NoCard,
    NoReader,
    ReaderError,
    ReaderStatus,
    ReadFailed,
    ReadTimeout,
    WrongCard,
)


def open_card_reader(config: IdCardReaderConfig) -> CardReader:
    """The reader for `config.backend` (not yet opened: call `await reader.open()`)."""
    # Backends are imported on demand so a kiosk without pyscard or pyserial still starts.
    if config.backend == "sam-serial":
        from kiosk.devices.idcard.sam_serial import SamSerialReader  # noqa: PLC0415

        return SamSerialReader(config)
    if config.backend == "pcsc":
        from kiosk.devices.idcard.pcsc import PcscReader  # noqa: PLC0415

        return PcscReader(config)
    if config.backend == "manual":
        from kiosk.devices.idcard.manual import ManualReader  # noqa: PLC0415

        return ManualReader(config)
    from kiosk.devices.idcard.simulated import SimulatedReader  # noqa: PLC0415

    return SimulatedReader(config)


__all__ = [
    "CardReader",
    "CardRemoved",
    "IdCardReaderConfig",
    "InvalidCardData",
    "NoCard",
    "NoReader",
    "ReadFailed",
    "ReadTimeout",
    "ReaderError",
    "ReaderStatus",
    "WrongCard",
    "open_card_reader",
]
