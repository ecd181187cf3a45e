"""Helpers for the audio tests: read a WAV file and find the tone it holds."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class WavInfo:
    """What a WAV file holds: its format and its samples as one mono float signal."""

    rate: int
    channels: int
    sample_width: int
    samples: np.ndarray

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate


def read_wav(path: Path) -> WavInfo:
    """Read a 16-bit PCM WAV file; channels are averaged into one signal."""
    with wave.open(str(path), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        raw = wav.readframes(wav.getnframes())
    assert width == 2, f"{path}: {8 * width}-bit samples, expected 16-bit"
    data = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    mono = data.reshape(-1, channels).mean(axis=1) if channels > 1 else data
    return WavInfo(rate, channels, width, mono)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    """The frequency (Hz) with the most energy, from a windowed FFT."""
    assert len(samples) >= rate // 10, "less than 100 ms of audio"
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[0] = 0.0  # ignore any DC offset
    return float(np.fft.rfftfreq(len(samples), 1.0 / rate)[int(np.argmax(spectrum))])


def band_energy(samples: np.ndarray, rate: int, frequency: float, width: float = 20.0) -> float:
    """Energy of the spectrum within `width` Hz of `frequency`."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    return float(spectrum[np.abs(freqs - frequency) <= width].sum())


def rms(samples: np.ndarray) -> float:
    """Root mean square level (full scale is 32767)."""
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
