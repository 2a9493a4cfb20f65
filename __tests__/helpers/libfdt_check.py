#!/usr/bin/python3
"""libfdt's verdict on blobs, for the differential fuzz test: fdt_check_full() and, when it accepts, the
tree as libfdt's own iterators show it.

Calls Debian's libfdt.so.1 (package libfdt1, which device-tree-compiler depends on) through ctypes, so
nothing needs compiling. Reads frames from stdin: a big-endian u32 flag word (bit 0: send the full view,
not only its digest), a big-endian u32 length, then that many blob bytes. Writes one JSON line per frame:
  {"error": "FDT_ERR_..."}                       fdt_check_full rejected the blob
  {"digest": "<sha1 hex>", "nodes": N, "depth": D} it accepted; digest of the view (see digest_view),
                                                 its node count and deepest nesting (the root is 1)
  {"digest": ..., "view": {...}}                 the same with the view itself (flag bit 0)
  {"walkError": "..."}                           it accepted, but walking the tree then failed
where view = {"version": V, "memrsv": [["0x..", "0x.."], ...], "nodes": [[path, [[name, hex], ...]], ...]}.
With --version it only prints the libfdt release it loaded, as libfdt_version.describe() gives it.

libfdt 1.6.x can loop forever (a property length of 0xfffffff4 wraps its offset arithmetic back to the
same token; 1.7.0 bounds the length) or crash on inputs it does not expect. Every libfdt call for a frame
runs under an interval timer whose SIGALRM keeps its default action, so a hang kills this process instead
of stalling the test; the caller sees which frame was in flight and starts a new process for the rest.
"""
import ctypes
import hashlib
import json
import signal
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
import libfdt_version  # beside this script

TIMEOUT_SECONDS = 1.0  # a 2 MiB blob takes milliseconds
NOTFOUND = -1  # -FDT_ERR_NOTFOUND

lib = ctypes.CDLL('libfdt.so.1')
_int = ctypes.c_int
_p = ctypes.c_void_p
_pint = ctypes.POINTER(ctypes.c_int)
for name, restype, argtypes in [
    ('fdt_check_full', _int, [_p, ctypes.c_size_t]),
    ('fdt_strerror', ctypes.c_char_p, [_int]),
    ('fdt_next_node', _int, [_p, _int, _pint]),
    ('fdt_get_name', _p, [_p, _int, _pint]),
    ('fdt_first_property_offset', _int, [_p, _int]),
    ('fdt_next_property_offset', _int, [_p, _int]),
    ('fdt_getprop_by_offset', _p, [_p, _int, ctypes.POINTER(_p), _pint]),
    ('fdt_num_mem_rsv', _int, [_p]),
    ('fdt_get_mem_rsv', _int, [_p, _int, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64)]),
]:
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = restype, argtypes


def strerror(err):
    return lib.fdt_strerror(err).decode('latin1')


def walk(fdt):
    """Every node libfdt's fdt_next_node reaches from the start, with the properties its property
    iterators show, as (path, depth, [(name bytes, value bytes, length)]). Paths come from the names
    along the walk."""
    depth = _int(0)
    length = _int(0)
    name_ptr = _p()
    stack = []
    offset = -1
    while True:
        offset = lib.fdt_next_node(fdt, offset, ctypes.byref(depth))
        if offset < 0:
            if offset != NOTFOUND:
                raise ValueError(f'fdt_next_node: {strerror(offset)}')
            return
        name = lib.fdt_get_name(fdt, offset, ctypes.byref(length))
        if not name:
            raise ValueError(f'fdt_get_name({offset}): {strerror(length.value)}')
        del stack[depth.value - 1:]
        stack.append(ctypes.string_at(name, length.value))
        props = []
        prop = lib.fdt_first_property_offset(fdt, offset)
        while prop >= 0:
            value = lib.fdt_getprop_by_offset(fdt, prop, ctypes.byref(name_ptr), ctypes.byref(length))
            if not value or length.value < 0:
                # libfdt accepted a length it cannot give back (its arithmetic wrapped): show it as such.
                props.append((ctypes.string_at(name_ptr.value) if name_ptr.value else b'', None, length.value))
            else:
                props.append((ctypes.string_at(name_ptr.value), ctypes.string_at(value, length.value), length.value))
            prop = lib.fdt_next_property_offset(fdt, prop)
        if prop != NOTFOUND:
            raise ValueError(f'fdt_next_property_offset: {strerror(prop)}')
        yield b'/' + b'/'.join(stack[1:]), depth.value, props


def memrsv(fdt):
    count = lib.fdt_num_mem_rsv(fdt)
    if count < 0:
        raise ValueError(f'fdt_num_mem_rsv: {strerror(count)}')
    address, size = ctypes.c_uint64(), ctypes.c_uint64()
    out = []
    for i in range(count):
        err = lib.fdt_get_mem_rsv(fdt, i, ctypes.byref(address), ctypes.byref(size))
        if err < 0:
            raise ValueError(f'fdt_get_mem_rsv({i}): {strerror(err)}')
        out.append((address.value, size.value))
    return out


def digest_view(version, reservations, nodes):
    """sha1 over the view, in the byte layout __tests__/helpers/libfdt-check.ts hashes ours in:
    version u32; reservation count u32, then address u64, size u64 each; then per node the path, NUL,
    property count u32, and per property the name, NUL, value length u32 and the value. Big-endian."""
    h = hashlib.sha1()
    h.update(struct.pack('>II', version, len(reservations)))
    for address, size in reservations:
        h.update(struct.pack('>QQ', address, size))
    for path, _, props in nodes:
        h.update(path + b'\0' + struct.pack('>I', len(props)))
        for name, value, length in props:
            h.update(name + b'\0' + struct.pack('>i', length) + (value or b''))
    return h.hexdigest()


def verdict(data, full):
    # Room past the end: libfdt reads header fields before it compares sizes with bufsize.
    buf = ctypes.create_string_buffer(data, max(len(data), 64))
    # libfdt 1.7+ refuses a blob at an address that is not 8-byte aligned (FDT_ERR_ALIGNMENT): that would
    # be a verdict on this buffer, not on the blob.
    if ctypes.addressof(buf) % 8 != 0:
        raise RuntimeError('ctypes gave a buffer that is not 8-byte aligned')
    fdt = ctypes.cast(buf, _p)
    err = lib.fdt_check_full(fdt, len(data))
    if err != 0:
        return {'error': strerror(err)}
    version = struct.unpack_from('>I', data, 20)[0]
    reservations = memrsv(fdt)
    nodes = list(walk(fdt))
    out = {'digest': digest_view(version, reservations, nodes), 'nodes': len(nodes), 'depth': max((d for _, d, _ in nodes), default=0)}
    if full:
        out['view'] = {
            'version': version,
            'memrsv': [[hex(a), hex(s)] for a, s in reservations],
            'nodes': [[path.decode('latin1'), [[n.decode('latin1'), v.hex() if v is not None else f'<len {l}>'] for n, v, l in props]] for path, _, props in nodes],
        }
    return out


def read_exact(stream, n):
    chunks = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b''.join(chunks)


def main():
    if sys.argv[1:] == ['--version']:
        print(json.dumps(libfdt_version.describe(lib.fdt_check_full)))
        return
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    stdin, stdout = sys.stdin.buffer, sys.stdout
    while True:
        head = read_exact(stdin, 8)
        if head is None:
            return
        flags, length = struct.unpack('>II', head)
        data = read_exact(stdin, length)
        if data is None:
            raise SystemExit('truncated frame on stdin')
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT_SECONDS)
        try:
            line = verdict(data, flags & 1)
        except ValueError as e:
            line = {'walkError': str(e)}
        signal.setitimer(signal.ITIMER_REAL, 0)
        stdout.write(json.dumps(line, separators=(',', ':')))
        stdout.write('\n')
        stdout.flush()


if __name__ == '__main__':
    main()
