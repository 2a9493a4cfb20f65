"""Which libfdt release the calling process runs, for the differential tests' rules table
(__tests__/helpers/libfdt-versions.ts). Imported by libfdt_check.py and libfdt_reference.py.

libfdt has no call that reports its own release (fdt_version() is the blob's format version), and its
exported symbols all carry the one symbol version LIBFDT_1.2 (1.6.1, 1.7.2 and 1.8.1 alike), so neither
tells releases apart. dpkg-query names the Debian package, not the code actually loaded (LD_LIBRARY_PATH,
a vendored copy), and exists on Debian only. Probing behaviour would let the rules under test pick the
rules to test. So: ask the dynamic linker (dladdr) which file holds the libfdt function the script calls,
resolve symlinks, and read the release from that file's name, which both upstream builds write:
libfdt-1.6.1.so (the Makefile of 1.6.x) or libfdt.so.1.7.2 (meson, and the Makefile of 1.7.2).
pylibfdt up to 1.6.x compiles libfdt into its extension module, whose name carries no release; its
package metadata does, and names the dtc release the extension was built from. When neither gives a
release, the tests hold libfdt only to what every supported release agrees on.
"""
import ctypes
import ctypes.util
import importlib.metadata
import os
import re

_RELEASE_IN_NAME = re.compile(r'^libfdt(?:-|\.so\.|\.dylib\.)(\d+\.\d+\.\d+)')


class _DlInfo(ctypes.Structure):
    _fields_ = [
        ('dli_fname', ctypes.c_char_p),
        ('dli_fbase', ctypes.c_void_p),
        ('dli_sname', ctypes.c_char_p),
        ('dli_saddr', ctypes.c_void_p),
    ]


def _dladdr():
    # In libc itself since glibc 2.34 (and in musl, macOS); in libdl before that.
    for lib in (None, ctypes.util.find_library('dl')):
        try:
            fn = ctypes.CDLL(lib).dladdr
        except (OSError, AttributeError, TypeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)], ctypes.c_int
        return fn
    return None


def object_file(function):
    """The real path of the shared object that holds `function` (a ctypes function), or None."""
    dladdr = _dladdr()
    info = _DlInfo()
    if dladdr is None or not dladdr(ctypes.cast(function, ctypes.c_void_p), ctypes.byref(info)) or not info.dli_fname:
        return None
    return os.path.realpath(os.fsdecode(info.dli_fname))


def describe(function, distributions=()):
    """{"version": "X.Y.Z" or None, "file": path or None, "from": how the version was found}."""
    path = object_file(function)
    found = _RELEASE_IN_NAME.match(os.path.basename(path)) if path else None
    if found:
        return {'version': found.group(1), 'file': path, 'from': 'file name'}
    for name in distributions:
        try:
            return {'version': importlib.metadata.version(name), 'file': path, 'from': f'python package {name}'}
        except importlib.metadata.PackageNotFoundError:
            continue
    return {'version': None, 'file': path, 'from': 'unknown'}
