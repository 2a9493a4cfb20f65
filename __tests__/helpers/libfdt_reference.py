#!/usr/bin/python3
"""Reference view of devicetree blobs, read with libfdt (pylibfdt) only.

Usage: /usr/bin/python3 libfdt_reference.py [--check-all-paths] [--base DIR] PATH...
       /usr/bin/python3 libfdt_reference.py --version

Each PATH is a .dtb file or a folder walked recursively for .dtb files. For every blob, one JSON line:
  {"file": relpath, "version": N, "memrsv": [["0x..", "0x.."], ...],
   "nodes": [[path, [[propname, hexvalue], ...]], ...]}
in libfdt's tree order, or {"file": relpath, "error": "..."} when libfdt rejects the blob.
relpath is relative to --base when given, else to the folder argument (or the file's own folder).
--version prints the release of the libfdt code pylibfdt runs, as libfdt_version.describe() gives it.

Names are given byte for byte as latin1 text, which is how the TypeScript parser decodes them.
Must run under Debian's /usr/bin/python3: that is the interpreter python3-libfdt is installed for.
"""
import ctypes
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
import _libfdt
import libfdt
import libfdt_version  # beside this script

NOTFOUND = (libfdt.NOTFOUND,)
PATH_MAX = 1 << 16
PATH_CHECK_EVERY = 8
CHECK_ALL_PATHS = False  # set by --check-all-paths

# Two calls pylibfdt does not offer alike on every release, made instead through ctypes to the very same
# libfdt C functions the extension module uses (linked in up to 1.6.x, from libfdt.so.1 later; dlsym on
# the module's handle finds them either way), so the view is built the same way whatever the release:
# - 1.6.x has no Fdt.get_path (the SWIG wrapper of fdt_get_path cannot hand its buffer back); later
#   releases have one that decodes names as UTF-8, where this view keeps bytes as latin1;
# - 1.6.1's Fdt.get_mem_rsv loses a reservation's address when it is 0 (it returns the bare int size,
#   e.g. for the Raspberry Pi blobs' `/memreserve/ 0x0 0x1000`).
_lib = ctypes.CDLL(_libfdt.__file__)
_lib.fdt_get_path.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
_lib.fdt_get_path.restype = ctypes.c_int
_lib.fdt_get_mem_rsv.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64)]
_lib.fdt_get_mem_rsv.restype = ctypes.c_int


def latin1(name):
    """A name pylibfdt decoded as UTF-8, back to one character per byte."""
    return name.encode('utf-8', 'surrogateescape').decode('latin1') if isinstance(name, str) else bytes(name).decode('latin1')


class Blob:
    def __init__(self, fdt, data):
        self.fdt = fdt
        self.buf = ctypes.create_string_buffer(bytes(data), len(data))
        self.out = ctypes.create_string_buffer(PATH_MAX)

    def path(self, offset):
        err = _lib.fdt_get_path(self.buf, offset, self.out, PATH_MAX)
        if err < 0:
            raise libfdt.FdtException(err)
        return self.out.value.decode('latin1')

    def mem_rsv(self, index):
        address, size = ctypes.c_uint64(), ctypes.c_uint64()
        err = _lib.fdt_get_mem_rsv(self.buf, index, ctypes.byref(address), ctypes.byref(size))
        if err < 0:
            raise libfdt.FdtException(err)
        return address.value, size.value


def view(data):
    fdt = libfdt.Fdt(data)
    blob = Blob(fdt, data)
    memrsv = []
    for i in range(fdt.num_mem_rsv()):
        address, size = blob.mem_rsv(i)
        memrsv.append([hex(address), hex(size)])
    nodes = []
    stack = []  # names from the root down to the current node
    offset, depth = 0, 0
    while offset >= 0 and depth >= 0:
        del stack[depth:]
        stack.append(latin1(fdt.get_name(offset)))
        path = '/' + '/'.join(stack[1:])
        # fdt_get_path rescans the blob from its start, so asking it for every node is quadratic (~10 s
        # for the corpus): ask it for every PATH_CHECK_EVERY-th node and insist it agrees with the walk.
        if CHECK_ALL_PATHS or len(nodes) % PATH_CHECK_EVERY == 0:
            checked = blob.path(offset)
            if checked != path:
                raise ValueError(f'fdt_get_path({offset}) = {checked!r} but the node walk gives {path!r}')
        props = []
        prop = fdt.first_property_offset(offset, NOTFOUND)
        while prop >= 0:
            p = fdt.get_property_by_offset(prop)
            props.append([latin1(p.name), bytes(p).hex()])
            prop = fdt.next_property_offset(prop, NOTFOUND)
        nodes.append([path, props])
        offset, depth = fdt.next_node(offset, depth, NOTFOUND)
    if offset != -libfdt.NOTFOUND and depth >= 0:
        raise libfdt.FdtException(offset)
    return {'version': fdt.version(), 'memrsv': memrsv, 'nodes': nodes}


def blobs(args):
    base = None
    if len(args) >= 2 and args[0] == '--base':
        base, args = args[1], args[2:]
    for arg in args:
        if os.path.isdir(arg):
            found = []
            for root, dirs, files in os.walk(arg):
                dirs.sort()
                found.extend(os.path.join(root, f) for f in files if f.endswith('.dtb'))
            for path in sorted(found):
                yield path, os.path.relpath(path, base if base is not None else arg)
        else:
            yield arg, os.path.relpath(arg, base if base is not None else os.path.dirname(arg) or '.')


def main(args):
    global CHECK_ALL_PATHS
    if args == ['--version']:
        # pylibfdt packages name the distribution libfdt (Debian, dtc's setup.py) or pylibfdt (PyPI).
        print(json.dumps(libfdt_version.describe(_lib.fdt_get_path, ('libfdt', 'pylibfdt'))))
        return
    if args[:1] == ['--check-all-paths']:
        CHECK_ALL_PATHS, args = True, args[1:]
    out = sys.stdout
    for path, rel in blobs(args):
        with open(path, 'rb') as f:
            data = f.read()
        try:
            line = {'file': rel, **view(data)}
        except (libfdt.FdtException, ValueError, UnicodeDecodeError) as e:
            line = {'file': rel, 'error': str(e)}
        out.write(json.dumps(line, separators=(',', ':')))
        out.write('\n')
    out.flush()


if __name__ == '__main__':
    main(sys.argv[1:])
