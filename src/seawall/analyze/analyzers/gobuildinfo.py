"""Read the build information Go embeds in ELF executables (Go 1.13 and later).

Two layouts exist, both behind the 14-byte ``\\xff Go buildinf:`` magic at a 16-byte aligned offset of
the data segment (the ``.go.buildinfo`` section when section headers survive):

* Go 1.18+: flag bit 2 set; the Go version and the module information follow the 32-byte header as
  two uvarint-length-prefixed strings.
* Go 1.13–1.17: the header holds the pointer size, the byte order and two pointers to Go string
  headers (data pointer, length), resolved through the ELF ``PT_LOAD`` segments.

Every offset and length read from the file is bounds-checked; malformed input raises
:class:`BuildInfoError`, a file that is not a Go executable gives ``None``.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile


MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
FLAG_BIG_ENDIAN = 0x1
FLAG_INLINE = 0x2
MAX_STRING = 4 * 1024 * 1024  # module info of the largest real binaries is well under 1 MiB
# The module information is wrapped in two 16-byte sentinels so the linker can find it.
SENTINEL_LEN = 16
PT_LOAD = "PT_LOAD"
PF_X = 0x1
PF_W = 0x2


class BuildInfoError(ValueError):
    """The file looks like a Go executable but its build information is malformed."""


@dataclass(frozen=True, slots=True)
class GoModule:
    """One module line (``mod`` or ``dep``), with the ``=>`` replacement that follows it, if any."""

    path: str
    version: str
    sum: str = ""
    replace: GoModule | None = None


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """What ``go version -m`` prints: toolchain version, main package path, modules, build settings."""

    go_version: str
    path: str = ""
    main: GoModule | None = None
    deps: tuple[GoModule, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str) -> str:
        """The value of one build setting (``-ldflags``, ``vcs.revision``...), or ``""``."""
        for k, v in self.settings:
            if k == key:
                return v
        return ""

    def render(self) -> list[str]:
        """The module lines as ``go version -m`` prints them (without the leading tab)."""
        lines: list[str] = []
        if self.path:
            lines.append(f"path\t{self.path}")
        if self.main is not None and self.main.path:
            lines.extend(_format_mod("mod", self.main))
        for dep in self.deps:
            lines.extend(_format_mod("dep", dep))
        for key, value in self.settings:
            lines.append(f"build\t{_quote_key(key)}={_quote_value(value)}")
        return lines


def _format_mod(word: str, mod: GoModule) -> list[str]:
    if mod.replace is None:
        return [f"{word}\t{mod.path}\t{mod.version}\t{mod.sum}"]
    return [f"{word}\t{mod.path}\t{mod.version}", *_format_mod("=>", mod.replace)]


def _quote_key(key: str) -> str:
    return json.dumps(key) if not key or any(c in key for c in '= \t\r\n"`') else key


def _quote_value(value: str) -> str:
    return json.dumps(value) if any(c in value for c in ' \t\r\n"`') else value


def read_build_info(data: bytes) -> BuildInfo | None:
    """Parse the build information of an ELF Go executable; None when ``data`` is not one."""
    if not data.startswith(b"\x7fELF") or MAGIC not in data:
        return None
    try:
        elf = open_elf(data)
        segments = _load_segments(elf)
        region = _data_region(elf, segments, len(data))
    except elf_errors() as exc:
        raise BuildInfoError(f"malformed ELF headers: {exc}") from exc
    if region is None:
        return None
    start, end = region
    header_at = _find_header(data, start, end)
    if header_at < 0:
        return None
    header = data[header_at : header_at + HEADER_SIZE]
    ptr_size, flags = header[14], header[15]
    if flags & FLAG_INLINE:
        version, rest = _uvarint_string(data, header_at + HEADER_SIZE)
        modinfo, _ = _uvarint_string(data, rest)
    else:
        if ptr_size not in (4, 8):
            raise BuildInfoError(f"unsupported pointer size {ptr_size} in the build info header")
        order = ">" if flags & FLAG_BIG_ENDIAN else "<"
        fmt = order + ("I" if ptr_size == 4 else "Q")
        version_ptr = struct.unpack_from(fmt, header, 16)[0]
        mod_ptr = struct.unpack_from(fmt, header, 16 + ptr_size)[0]
        version = _pointer_string(data, segments, fmt, ptr_size, version_ptr)
        modinfo = _pointer_string(data, segments, fmt, ptr_size, mod_ptr)
    if not version:
        return None
    return _build_info(_text(version), _strip_sentinels(modinfo))


def elf_errors() -> tuple[type[BaseException], ...]:
    """What pyelftools raises on malformed headers (imported on first use: pyelftools is slow to load)."""
    from elftools.common.exceptions import ELFError

    return (ELFError, *ELF_ERRORS)


# pyelftools reports malformed headers through these and ELFError (OverflowError: seeks to absurd offsets).
ELF_ERRORS = (
    struct.error,
    ValueError,
    KeyError,
    AttributeError,
    TypeError,
    OverflowError,
    IndexError,
)
# Real executables have a dozen program headers and well under a hundred sections; hostile counts up
# to 65535 would make pyelftools parse each header (seconds of work for nothing).
MAX_SEGMENTS = 256
MAX_SECTIONS = 2048


def open_elf(data: bytes) -> ELFFile:
    """Open an in-memory ELF file, refusing implausible header counts before anything iterates them."""
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(io.BytesIO(data))
    if elf["e_phnum"] > MAX_SEGMENTS or elf["e_shnum"] > MAX_SECTIONS:
        raise ValueError(f"{elf['e_phnum']} program headers, {elf['e_shnum']} sections: implausible")
    return elf


@dataclass(frozen=True, slots=True)
class _Segment:
    vaddr: int
    offset: int
    filesz: int
    flags: int


def _load_segments(elf: ELFFile) -> list[_Segment]:
    out: list[_Segment] = []
    for seg in elf.iter_segments():
        if seg["p_type"] == PT_LOAD:
            out.append(_Segment(seg["p_vaddr"], seg["p_offset"], seg["p_filesz"], seg["p_flags"]))
    return out


def _data_region(elf: ELFFile, segments: list[_Segment], size: int) -> tuple[int, int] | None:
    """File offsets to search for the header: the .go.buildinfo section, else the first data segment."""
    section = elf.get_section_by_name(".go.buildinfo")
    if section is not None and section["sh_type"] != "SHT_NOBITS":
        start = section["sh_offset"]
        return (start, min(size, start + max(section["sh_size"], HEADER_SIZE)))
    for seg in segments:
        # Go's own reader picks the first writable, non-executable PT_LOAD (stripped section headers).
        if seg.flags & (PF_X | PF_W) == PF_W:
            return (seg.offset, min(size, seg.offset + seg.filesz))
    return None


def _find_header(data: bytes, start: int, end: int) -> int:
    pos = start
    while True:
        i = data.find(MAGIC, pos, end)
        if i < 0 or end - i < HEADER_SIZE:
            return -1
        if (i - start) % ALIGN == 0:
            return i
        pos = i + 1


def _uvarint_string(data: bytes, pos: int) -> tuple[bytes, int]:
    length = 0
    shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise BuildInfoError("truncated length in the build info")
        b = data[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    if length > MAX_STRING or pos + length > len(data):
        raise BuildInfoError(f"build info string of {length} bytes runs past the end of the file")
    return data[pos : pos + length], pos + length


def _file_offset(segments: list[_Segment], addr: int, length: int) -> int:
    for seg in segments:
        if seg.vaddr <= addr and addr + length <= seg.vaddr + seg.filesz:
            return seg.offset + (addr - seg.vaddr)
    raise BuildInfoError(f"address {addr:#x} is outside every loaded segment")


def _pointer_string(data: bytes, segments: list[_Segment], fmt: str, ptr_size: int, addr: int) -> bytes:
    at = _file_offset(segments, addr, 2 * ptr_size)
    if at + 2 * ptr_size > len(data):
        raise BuildInfoError("string header runs past the end of the file")
    str_addr, length = struct.unpack_from(fmt + fmt[-1], data, at)
    if length == 0:
        return b""
    if length > MAX_STRING:
        raise BuildInfoError(f"build info string of {length} bytes is implausibly long")
    pos = _file_offset(segments, str_addr, length)
    if pos + length > len(data):
        raise BuildInfoError("build info string runs past the end of the file")
    return data[pos : pos + length]


def _strip_sentinels(modinfo: bytes) -> str:
    # As Go: keep the text only when both sentinels are there (the last line then ends in "\n").
    if len(modinfo) >= 2 * SENTINEL_LEN + 1 and modinfo[-SENTINEL_LEN - 1] == 0x0A:
        return _text(modinfo[SENTINEL_LEN:-SENTINEL_LEN])
    return ""


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _build_info(go_version: str, modinfo: str) -> BuildInfo:
    path = ""
    main: GoModule | None = None
    deps: list[GoModule] = []
    settings: list[tuple[str, str]] = []
    last: str = ""  # "mod" or "dep": what a "=>" line replaces
    for line in modinfo.split("\n"):
        word, _, rest = line.partition("\t")
        if word == "path":
            path = rest
        elif word in ("mod", "dep"):
            fields = rest.split("\t")
            if len(fields) not in (2, 3):
                continue
            mod = GoModule(fields[0], fields[1], fields[2] if len(fields) == 3 else "")
            if word == "mod":
                main = mod
            else:
                deps.append(mod)
            last = word
        elif word == "=>":
            fields = rest.split("\t")
            if len(fields) not in (2, 3) or not last:
                continue
            rep = GoModule(fields[0], fields[1], fields[2] if len(fields) == 3 else "")
            if last == "mod" and main is not None:
                main = GoModule(main.path, main.version, main.sum, rep)
            elif last == "dep" and deps:
                d = deps[-1]
                deps[-1] = GoModule(d.path, d.version, d.sum, rep)
            last = ""
        elif word == "build":
            settings.append(_parse_setting(rest))
    return BuildInfo(go_version, path, main, tuple(deps), tuple(settings))


def _parse_setting(text: str) -> tuple[str, str]:
    key, value = _unquote_prefix(text, stop="=")
    if value.startswith("="):
        value = value[1:]
    if value.startswith('"'):
        try:
            parsed = json.loads(value)
            if isinstance(parsed, str):
                return key, parsed
        except ValueError:
            pass
    return key, value


def _unquote_prefix(text: str, stop: str) -> tuple[str, str]:
    if text.startswith('"'):
        end = 1
        while end < len(text):
            if text[end] == "\\":
                end += 2
                continue
            if text[end] == '"':
                try:
                    return str(json.loads(text[: end + 1])), text[end + 1 :]
                except ValueError:
                    break
            end += 1
    key, sep, value = text.partition(stop)
    return key, sep + value
