"""Playing the other side's voice: an ALSA loudspeaker or a WAV file, kept live, never late.

Both sinks share one code path: received frames are resampled to s16 PCM at the
configured rate and layout with `av.AudioResampler`, encoded as `pcm_s16le` and muxed
into a PyAV output container (format "alsa" for a sound card, "wav" for a file). The
container is blocking (an ALSA write waits for room in the device buffer), so every
call on it runs on the sink's own single-thread executor. `write()` never blocks the
event loop: it queues the frame, and when more than `max_latency_ms` of audio waits the
oldest is dropped, so a stalled device costs a gap, not a growing delay.

aiortc has no echo cancellation: a kiosk with loudspeakers needs the OS's echo-cancel
module (or a handset), see the README.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

import av

from shared.config import AudioSinkConfig
from shared.media.system_alsa import use_system_alsa

log = logging.getLogger(__name__)


class AudioSinkError(Exception):
    """An audio output could not be opened; the message says which and why."""


class AudioSink(ABC):
    """Where remote audio frames go. Created once per process; it outlives calls."""

    @abstractmethod
    async def start(self) -> None:
        """Open the output; raises AudioSinkError when it cannot be opened."""

    @abstractmethod
    def write(self, frame: av.AudioFrame) -> None:
        """Queue one received frame for output; never blocks, never raises."""

    @abstractmethod
    async def stop(self) -> None:
        """Play or write what is queued, then close the output; safe to call more than once."""

    @abstractmethod
    def stats(self) -> dict[str, float | int]:
        """Counters: frames written and dropped, seconds written, write errors."""


class PyAvAudioSink(AudioSink):
    """A PyAV output container fed newest-first from a single worker thread (module docstring)."""

    def __init__(self, target: str, container_format: str, config: AudioSinkConfig) -> None:
        self.target = target
        self.container_format = container_format
        self.config = config
        self._rate = config.sample_rate
        self._layout = "mono" if config.channels == 1 else "stereo"
        self._max_latency = config.max_latency_ms / 1000.0
        self._executor: ThreadPoolExecutor | None = None
        self._running = False
        # Shared between the event loop (write) and the worker (drain): guarded by _lock.
        self._lock = threading.Lock()
        self._pending: collections.deque[tuple[av.AudioFrame, float]] = collections.deque()
        self._pending_s = 0.0
        self._draining = False
        self._dropped = 0
        # Worker-thread state.
        self._container: Any = None
        self._stream: Any = None
        self._resampler: Any = None
        self._input_key: tuple[str, str, int] | None = None
        self._samples_out = 0
        self._written = 0
        self._errors = 0

    @property
    def running(self) -> bool:
        """True between a successful `start()` and `stop()`."""
        return self._running

    async def start(self) -> None:
        """Open the device or file on the worker thread; raises AudioSinkError on failure."""
        if self._running:
            return
        executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"vw-audio-{self.container_format}"
        )
        try:
            await asyncio.get_running_loop().run_in_executor(executor, self._open_sync)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        self._executor = executor
        self._running = True
        log.info("audio output %s %s open", self.container_format, self.target)

    def write(self, frame: av.AudioFrame) -> None:
        """Queue `frame`; drops the oldest queued audio beyond `max_latency_ms`."""
        if not self._running or self._executor is None or not frame.sample_rate:
            return
        seconds = frame.samples / frame.sample_rate
        with self._lock:
            self._pending.append((frame, seconds))
            self._pending_s += seconds
            while self._pending_s > self._max_latency and len(self._pending) > 1:
                _old, old_seconds = self._pending.popleft()
                self._pending_s -= old_seconds
                self._dropped += 1
            if self._draining:
                return
            self._draining = True
        self._executor.submit(self._drain_sync)

    async def stop(self) -> None:
        """Write what is queued, flush and close the container (a WAV file gets its sizes)."""
        if not self._running or self._executor is None:
            return
        self._running = False
        executor, self._executor = self._executor, None
        try:
            # The worker runs jobs in order: queued drains finish before the close.
            await asyncio.get_running_loop().run_in_executor(executor, self._close_sync)
        except Exception:
            log.exception("closing the audio output %s failed", self.target)
        finally:
            executor.shutdown(wait=False)
        log.info("audio output %s closed: %s", self.target, self.stats())

    def stats(self) -> dict[str, float | int]:
        """Counters for reports and tests."""
        return {
            "frames_written": self._written,
            "frames_dropped": self._dropped,
            "seconds_written": self._samples_out / self._rate,
            "errors": self._errors,
        }

    # --- on the worker thread ------------------------------------------------------

    def _open_sync(self) -> None:
        if self.container_format == "alsa":
            use_system_alsa()
        what = "ALSA device" if self.container_format == "alsa" else "audio file"
        container: Any = None
        try:
            container = av.open(self.target, mode="w", format=self.container_format)
            stream = container.add_stream("pcm_s16le", rate=self._rate, layout=self._layout)
            # Opens the device (or writes the header) now, so a bad target fails at start.
            container.start_encoding()
        except Exception as exc:
            if container is not None:
                try:
                    container.close()
                except Exception as close_exc:
                    log.debug("closing a failed audio output: %r", close_exc)
            raise AudioSinkError(f"cannot open {what} {self.target}: {exc}") from exc
        self._container = container
        self._stream = stream
        self._resampler = None
        self._input_key = None

    def _drain_sync(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._draining = False
                    return
                frame, seconds = self._pending.popleft()
                self._pending_s -= seconds
            try:
                self._write_sync(frame)
            except Exception as exc:
                self._errors += 1
                # First failure and then rarely: a dead device must not flood the log.
                if self._errors == 1 or self._errors % 500 == 0:
                    log.warning("audio output %s: %s (%d errors)", self.target, exc, self._errors)

    def _write_sync(self, frame: av.AudioFrame) -> None:
        if self._container is None:
            return
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if key != self._input_key:
            # A new peer connection may decode to another format: a resampler per input kind.
            self._flush_resampler()
            self._resampler = av.AudioResampler(format="s16", layout=self._layout, rate=self._rate)
            self._input_key = key
        # Received timestamps restart with every peer connection; the output keeps its own.
        frame.pts = None
        for out in self._resampler.resample(frame):
            self._encode(out)
        self._written += 1

    def _encode(self, out: av.AudioFrame) -> None:
        out.pts = self._samples_out
        out.time_base = Fraction(1, self._rate)
        self._samples_out += out.samples
        for packet in self._stream.encode(out):
            self._container.mux(packet)

    def _flush_resampler(self) -> None:
        if self._resampler is None:
            return
        for out in self._resampler.resample(None):
            self._encode(out)
        self._resampler = None

    def _close_sync(self) -> None:
        container = self._container
        if container is None:
            return
        try:
            self._flush_resampler()
            for packet in self._stream.encode(None):
                container.mux(packet)
        except Exception as exc:
            log.warning("flushing the audio output %s: %s", self.target, exc)
        finally:
            self._container = None
            container.close()


class AlsaSink(PyAvAudioSink):
    """Plays on an ALSA device (`config.device`, `default` when unset) through PyAV."""

    def __init__(self, config: AudioSinkConfig) -> None:
        super().__init__(config.device or "default", "alsa", config)


class WavSink(PyAvAudioSink):
    """Records to the WAV file `config.path` through the same code path as the loudspeaker."""

    def __init__(self, config: AudioSinkConfig) -> None:
        if config.path is None:
            raise AudioSinkError("a wav audio output needs a path")
        super().__init__(str(config.path), "wav", config)

    def _open_sync(self) -> None:
        if self.config.path is not None:
            try:
                self.config.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise AudioSinkError(f"cannot create the folder of {self.target}: {exc}") from exc
        super()._open_sync()


def open_audio_sink(config: AudioSinkConfig | None) -> AudioSink | None:
    """The output the config asks for (not started yet), or None when audio output is off.

    A relative WAV path is taken as it is: pass `ClientConfig.audio_output`, which resolves it.
    """
    if config is None or config.kind == "none":
        return None
    if config.kind == "wav":
        return WavSink(config)
    return AlsaSink(config)
