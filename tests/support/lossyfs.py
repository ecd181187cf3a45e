"""A FUSE filesystem that loses, at a power cut, everything that was not fsynced.

A killed process never loses what the kernel has cached, so a SIGKILL test cannot
tell whether a program really made its data durable. This filesystem keeps two
states, the way Jepsen's LazyFS does for file data, and stricter still for names:

- the *volatile* state every process sees: files, their bytes, directory entries;
- the *durable* state a disk would hold after losing power:
  - `fsync` on a file makes that file's current bytes durable (not its name);
  - `fsync` on a directory makes that directory's current entries durable (the names
    and which files they point at, not those files' bytes).

That is the POSIX contract a program may rely on: a new file's name survives only
once its directory is synced, its bytes only once the file is synced. Real
filesystems often keep more (ext4's journal commits names on its own schedule),
so this layer finds every missing fsync, even those a given disk would forgive.

At SIGUSR1 the power is cut: the durable state is written into the dump folder,
and every later operation fails with EIO (so no program can go on believing it
wrote something). SIGTERM unmounts and exits 0. A dump can seed a later mount,
which is how a test "boots" the machine again.

    python -m tests.support.lossyfs MOUNTPOINT DUMP_DIR [--seed DIR]
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import signal
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyfuse3
import trio

ROOT = pyfuse3.ROOT_INODE


@dataclass
class Node:
    """One inode of the volatile state."""

    mode: int
    data: bytearray = field(default_factory=bytearray)
    entries: dict[bytes, int] = field(default_factory=dict)
    mtime_ns: int = field(default_factory=time.time_ns)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


class LossyFs(pyfuse3.Operations):
    """The two states and the FUSE operations over the volatile one (see module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[int, Node] = {ROOT: Node(stat.S_IFDIR | 0o755)}
        self.durable_data: dict[int, bytes] = {}
        self.durable_entries: dict[int, dict[bytes, int]] = {ROOT: {}}
        self.handles: dict[int, int] = {}
        self.powered = True
        self._next_ino = ROOT + 1
        self._next_fh = 1

    # --- the model -------------------------------------------------------------

    def seed(self, folder: Path) -> None:
        """Loads a real folder as both the volatile and the durable state."""
        self._seed_dir(folder, ROOT)

    def _seed_dir(self, folder: Path, ino: int) -> None:
        for path in sorted(folder.iterdir()):
            child = self._new_node(path.stat().st_mode)
            self.nodes[ino].entries[path.name.encode()] = child
            if path.is_dir():
                self.durable_entries[child] = {}
                self._seed_dir(path, child)
            else:
                self.nodes[child].data = bytearray(path.read_bytes())
                self.durable_data[child] = path.read_bytes()
        self.durable_entries[ino] = dict(self.nodes[ino].entries)

    def dump_durable(self, folder: Path) -> None:
        """Writes what a disk would hold after a power cut now."""
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self._dump_dir(ROOT, folder)

    def _dump_dir(self, ino: int, folder: Path) -> None:
        for name, child in self.durable_entries.get(ino, {}).items():
            target = folder / os.fsdecode(name)
            mode = self.nodes[child].mode
            if stat.S_ISDIR(mode):
                target.mkdir()
                self._dump_dir(child, target)
            else:
                target.write_bytes(self.durable_data.get(child, b""))
            os.chmod(target, stat.S_IMODE(mode))

    def _new_node(self, mode: int) -> int:
        ino, self._next_ino = self._next_ino, self._next_ino + 1
        self.nodes[ino] = Node(mode)
        return ino

    def _check_power(self) -> None:
        if not self.powered:
            raise pyfuse3.FUSEError(errno.EIO)

    def _node(self, ino: int) -> Node:
        self._check_power()
        node = self.nodes.get(ino)
        if node is None:
            raise pyfuse3.FUSEError(errno.ENOENT)
        return node

    def _child(self, parent: int, name: bytes) -> int:
        child = self._node(parent).entries.get(name)
        if child is None:
            raise pyfuse3.FUSEError(errno.ENOENT)
        return child

    def _attr(self, ino: int) -> pyfuse3.EntryAttributes:
        node = self._node(ino)
        attr = pyfuse3.EntryAttributes()
        attr.st_ino = ino
        attr.st_mode = node.mode
        attr.st_nlink = 2 if node.is_dir else 1
        attr.st_uid, attr.st_gid = os.getuid(), os.getgid()
        attr.st_size = len(node.data)
        attr.st_blksize = 4096
        attr.st_blocks = (len(node.data) + 511) // 512
        attr.st_atime_ns = attr.st_mtime_ns = attr.st_ctime_ns = node.mtime_ns
        # No caching in the kernel: every look-up and stat reaches the model.
        attr.entry_timeout = attr.attr_timeout = 0
        return attr

    def _open_handle(self, ino: int) -> int:
        fh, self._next_fh = self._next_fh, self._next_fh + 1
        self.handles[fh] = ino
        return fh

    # --- FUSE operations -----------------------------------------------------------

    async def lookup(
        self, parent_inode: int, name: bytes, ctx: object = None
    ) -> pyfuse3.EntryAttributes:
        if name == b".":
            return self._attr(parent_inode)
        return self._attr(self._child(parent_inode, name))

    async def getattr(self, inode: int, ctx: object = None) -> pyfuse3.EntryAttributes:
        return self._attr(inode)

    async def setattr(
        self,
        inode: int,
        attr: pyfuse3.EntryAttributes,
        fields: pyfuse3.SetattrFields,
        fh: int | None,
        ctx: object,
    ) -> pyfuse3.EntryAttributes:
        node = self._node(inode)
        if fields.update_size:
            del node.data[attr.st_size :]
            node.data.extend(b"\0" * (attr.st_size - len(node.data)))
        if fields.update_mode:
            node.mode = stat.S_IFMT(node.mode) | stat.S_IMODE(attr.st_mode)
        node.mtime_ns = time.time_ns()
        return self._attr(inode)

    async def access(self, inode: int, mode: int, ctx: object) -> bool:
        self._node(inode)
        return True

    async def statfs(self, ctx: object) -> pyfuse3.StatvfsData:
        data = pyfuse3.StatvfsData()
        data.f_bsize = data.f_frsize = 4096
        data.f_blocks = data.f_bfree = data.f_bavail = 1 << 20
        data.f_files = data.f_ffree = data.f_favail = 1 << 20
        data.f_namemax = 255
        return data

    async def opendir(self, inode: int, ctx: object) -> int:
        if not self._node(inode).is_dir:
            raise pyfuse3.FUSEError(errno.ENOTDIR)
        return self._open_handle(inode)

    async def readdir(self, fh: int, start_id: int, token: pyfuse3.ReaddirToken) -> None:
        entries = sorted(self._node(self.handles[fh]).entries.items())
        for index, (name, child) in enumerate(entries[start_id:], start_id + 1):
            if not pyfuse3.readdir_reply(token, name, self._attr(child), index):
                break

    async def releasedir(self, fh: int) -> None:
        self.handles.pop(fh, None)

    async def fsyncdir(self, fh: int, datasync: bool) -> None:
        ino = self.handles[fh]
        node = self._node(ino)
        self.durable_entries[ino] = dict(node.entries)
        for child in node.entries.values():
            if self.nodes[child].is_dir:
                self.durable_entries.setdefault(child, {})

    async def mkdir(
        self, parent_inode: int, name: bytes, mode: int, ctx: object
    ) -> pyfuse3.EntryAttributes:
        parent = self._node(parent_inode)
        if name in parent.entries:
            raise pyfuse3.FUSEError(errno.EEXIST)
        ino = self._new_node(stat.S_IFDIR | stat.S_IMODE(mode))
        parent.entries[name] = ino
        return self._attr(ino)

    async def rmdir(self, parent_inode: int, name: bytes, ctx: object) -> None:
        child = self._child(parent_inode, name)
        if self.nodes[child].entries:
            raise pyfuse3.FUSEError(errno.ENOTEMPTY)
        del self.nodes[parent_inode].entries[name]

    async def create(
        self, parent_inode: int, name: bytes, mode: int, flags: int, ctx: object
    ) -> tuple[pyfuse3.FileInfo, pyfuse3.EntryAttributes]:
        parent = self._node(parent_inode)
        ino = parent.entries.get(name)
        if ino is None:
            ino = self._new_node(stat.S_IFREG | stat.S_IMODE(mode))
            parent.entries[name] = ino
        elif flags & os.O_TRUNC:
            self.nodes[ino].data.clear()
        return pyfuse3.FileInfo(fh=self._open_handle(ino)), self._attr(ino)

    async def open(self, inode: int, flags: int, ctx: object) -> pyfuse3.FileInfo:
        node = self._node(inode)
        if flags & os.O_TRUNC:
            node.data.clear()
        return pyfuse3.FileInfo(fh=self._open_handle(inode))

    async def read(self, fh: int, off: int, size: int) -> bytes:
        return bytes(self._node(self.handles[fh]).data[off : off + size])

    async def write(self, fh: int, off: int, buf: bytes) -> int:
        node = self._node(self.handles[fh])
        if off > len(node.data):
            node.data.extend(b"\0" * (off - len(node.data)))
        node.data[off : off + len(buf)] = buf
        node.mtime_ns = time.time_ns()
        return len(buf)

    async def flush(self, fh: int) -> None:
        self._check_power()

    async def fsync(self, fh: int, datasync: bool) -> None:
        ino = self.handles[fh]
        self.durable_data[ino] = bytes(self._node(ino).data)

    async def release(self, fh: int) -> None:
        self.handles.pop(fh, None)

    async def unlink(self, parent_inode: int, name: bytes, ctx: object) -> None:
        self._child(parent_inode, name)
        del self.nodes[parent_inode].entries[name]

    async def rename(  # noqa: PLR0917 - pyfuse3's signature
        self,
        parent_inode_old: int,
        name_old: bytes,
        parent_inode_new: int,
        name_new: bytes,
        flags: int,
        ctx: object,
    ) -> None:
        if flags:
            raise pyfuse3.FUSEError(errno.EINVAL)
        ino = self._child(parent_inode_old, name_old)
        target = self._node(parent_inode_new)
        existing = target.entries.get(name_new)
        if existing is not None and self.nodes[existing].is_dir and self.nodes[existing].entries:
            raise pyfuse3.FUSEError(errno.ENOTEMPTY)
        del self.nodes[parent_inode_old].entries[name_old]
        target.entries[name_new] = ino

    async def forget(self, inode_list: list[tuple[int, int]]) -> None:
        return None


async def _serve(fs: LossyFs, dump: Path) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(pyfuse3.main)
        with trio.open_signal_receiver(signal.SIGUSR1, signal.SIGTERM) as signals:
            async for signum in signals:
                if signum == signal.SIGUSR1 and fs.powered:
                    fs.powered = False
                    fs.dump_durable(dump)
                    (dump.parent / (dump.name + ".done")).touch()
                elif signum == signal.SIGTERM:
                    nursery.cancel_scope.cancel()
                    return


def main(argv: list[str] | None = None) -> int:
    """Mounts the filesystem and serves until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mountpoint", type=Path)
    parser.add_argument("dump", type=Path, help="where the durable state goes at the power cut")
    parser.add_argument("--seed", type=Path, help="a folder to start from (a previous dump)")
    args = parser.parse_args(argv)
    fs = LossyFs()
    if args.seed is not None:
        fs.seed(args.seed)
    options = set(pyfuse3.default_options) | {"fsname=lossyfs"}
    options.discard("default_permissions")
    pyfuse3.init(fs, str(args.mountpoint), options)
    try:
        trio.run(_serve, fs, args.dump)
    finally:
        pyfuse3.close(unmount=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
