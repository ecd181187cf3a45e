"""The document camera (高拍仪): contract, OpenCV backends (V4L2, file, image sequence), a
SANE flatbed scanner and a simulated one. `open_document_camera(config)` builds the
configured one (not yet opened)."""

from kiosk.devices.doccam.config import DocumentCameraConfig
from kiosk.devices.doccam.contract import (
    CameraInfo,
    CameraNotFoundError,
    CameraNotOpenError,
    CaptureError,
    DocumentCamera,
    DocumentCameraError,
)
from kiosk.devices.doccam.opencv_backend import OpenCvDocumentCamera
from kiosk.devices.doccam.sane_backend import SaneFlatbed
from kiosk.devices.doccam.simulated import SimulatedDocumentCamera


def open_document_camera(config: DocumentCameraConfig) -> DocumentCamera:
    """The document camera `config` describes; call `await camera.open()` to start it.

    Raises CameraNotFoundError when a backend that needs a path has none.
    """
    if config.backend == "simulated":
        return SimulatedDocumentCamera(config)
    if config.backend == "sane":
        return SaneFlatbed(config)
    return OpenCvDocumentCamera(config)


__all__ = [
    "CameraInfo",
    "CameraNotFoundError",
    "CameraNotOpenError",
    "CaptureError",
    "DocumentCamera",
    "DocumentCameraConfig",
    "DocumentCameraError",
    "OpenCvDocumentCamera",
    "SaneFlatbed",
    "SimulatedDocumentCamera",
    "open_document_camera",
]
