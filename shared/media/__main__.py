"""Check a video source without the apps: `python -m shared.media --kind v4l2 --path /dev/video0`.

Opens the source, captures for a few seconds and prints the frame rate it achieved;
exits 0 if frames arrived, 1 otherwise. The technician's health check builds on this.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from pydantic import ValidationError

from shared.media import VideoSourceConfig, VideoSourceError, open_video_source


async def _probe(config: VideoSourceConfig, seconds: float) -> int:
    source = open_video_source(config)
    await source.start()
    started = time.monotonic()
    try:
        await asyncio.sleep(seconds)
    finally:
        await source.stop()
    frames = source.frames_captured()
    elapsed = time.monotonic() - started
    frame = source.latest()
    shape = "none" if frame is None else f"{frame.shape[1]}x{frame.shape[0]}"
    print(
        f"{config.kind}: {frames} frames in {elapsed:.1f} s ({frames / elapsed:.1f} fps), {shape}"
    )
    return 0 if frames else 1


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m shared.media", description=__doc__)
    parser.add_argument("--kind", default="synthetic", choices=["synthetic", "file", "v4l2"])
    parser.add_argument("--path")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    try:
        config = VideoSourceConfig(
            kind=args.kind, path=args.path, width=args.width, height=args.height, fps=args.fps
        )
        return asyncio.run(_probe(config, args.seconds))
    except (ValidationError, VideoSourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
