"""pbwrite -- the protobuf wire encoding the tests' profile writers share (varints, fields and
messages of profile.proto), so that a test can make a profile with exactly the values it needs."""


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, value):
    """A varint field (int) or a length-delimited one (bytes)."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    return varint(num << 3 | 2) + varint(len(value)) + value


def message(*fields):
    return b''.join(field(n, v) for n, v in fields)
