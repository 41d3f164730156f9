"""Writes the small PyTorch-format fixtures used by ModelIOTests (run: python3 make_fixtures.py).

PyTorch is not needed (nor installed): the script registers stand-in modules named `torch` and
`torch._utils` whose functions and storage classes carry the real qualified names, so Python's own
`pickle` emits exactly the globals `torch.save` emits (`torch._utils._rebuild_tensor_v2`,
`torch.FloatStorage`, ...). Storages are written as persistent ids, as `torch.save` does. The stand-ins
are never called. Expected tensor values are computed independently with numpy's `as_strided` and
written to `strided-expected.json`.

Files:
- strided-zip.pth     torch.save zip format, pickle protocol 2 (as torch writes it), prefix `strided/`.
- strided-zip64.pth   the same archive written as zip64 (hand-built records) with a protocol-5 pickle
                      (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL opcodes).
- strided-legacy.pth  the legacy (pre-1.6) format: magic, protocol, sys info, state dict, key list,
                      storages; includes a storage *view* (view_metadata in the persistent id).
"""
import collections
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# --- stand-ins that carry torch's qualified names -------------------------------------------------
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


def _never_called(*args):
    raise RuntimeError("stand-in: only its name is pickled")


for fname in ("_rebuild_tensor_v2", "_rebuild_parameter"):
    f = types.FunctionType(_never_called.__code__, {}, fname)
    f.__module__ = "torch._utils"
    f.__qualname__ = fname
    setattr(torch_utils, fname, f)

STORAGE_TYPES = {}
for tname, dtype in (("FloatStorage", np.float32), ("HalfStorage", np.float16), ("LongStorage", np.int64),
                     ("BFloat16Storage", None)):
    cls = type(tname, (), {})
    cls.__module__ = "torch"
    setattr(torch, tname, cls)
    STORAGE_TYPES[tname] = cls


class Storage:
    """A root storage: key, torch storage type name, raw little-endian bytes, element count."""

    def __init__(self, key, type_name, raw, numel, view=None):
        self.key, self.type_name, self.raw, self.numel, self.view = key, type_name, raw, numel, view


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce__(self):
        return (torch_utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce__(self):
        return (torch_utils._rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def __init__(self, f, protocol, legacy):
        super().__init__(f, protocol=protocol)
        self.legacy = legacy

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        pid = ("storage", STORAGE_TYPES[obj.type_name], obj.key, "cpu", obj.numel)
        if self.legacy:
            pid = pid + (obj.view,)
        return pid


# --- the state dict ---------------------------------------------------------------------------------
f32 = np.arange(12, dtype=np.float32) * np.float32(0.5) - np.float32(1.25)
f16 = (np.arange(6, dtype=np.float16) - np.float16(2.5)) * np.float16(0.75)
i64 = np.array([-3, 7, 1 << 40, 0], dtype=np.int64)
bf16_source = np.array([1.0, -2.5, 3.140625, 0.0078125], dtype=np.float32)
bf16 = (bf16_source.view(np.uint32) >> 16).astype(np.uint16)

storages = {
    "0": (Storage("0", "FloatStorage", f32.tobytes(), 12), f32),
    "1": (Storage("1", "HalfStorage", f16.tobytes(), 6), f16.astype(np.float32)),
    "2": (Storage("2", "LongStorage", i64.tobytes(), 4), i64.astype(np.float32)),
    "3": (Storage("3", "BFloat16Storage", bf16.tobytes(), 4), bf16_source),
}
DTYPES = {"0": "F32", "1": "F16", "2": "I64", "3": "BF16"}

# (name, storage key, offset, size, stride)
LAYOUT = [
    ("conv.weight", "0", 0, (2, 3, 2), (1, 2, 6)),      # channels-last-like, non-contiguous
    ("conv.bias", "0", 3, (2,), (4,)),                  # strided 1-D with an offset
    ("fc.weight", "0", 0, (3, 4), (4, 1)),              # contiguous
    ("fc.bias", "0", 10, (), ()),                       # scalar with an offset
    ("expanded", "0", 1, (2, 3), (0, 2)),               # stride 0 (broadcast)
    ("half.weight", "1", 1, (2, 2), (1, 2)),            # float16, transposed
    ("bn.num_batches_tracked", "2", 1, (3,), (1,)),     # int64
    ("bf16.weight", "3", 0, (4,), (1,)),                # bfloat16
]


def expected_values(key, offset, size, stride):
    array = storages[key][1]
    view = np.lib.stride_tricks.as_strided(array[offset:], shape=size,
                                           strides=tuple(s * array.itemsize for s in stride))
    return [float(v) for v in np.ascontiguousarray(view).reshape(-1)]


def state_dict(storage_for):
    sd = collections.OrderedDict()
    for name, key, offset, size, stride in LAYOUT:
        tensor = Tensor(storage_for(key), offset, size, stride)
        sd[name] = Parameter(tensor) if name == "conv.weight" else tensor
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 1})])
    return sd


def pickled(obj, protocol, legacy=False):
    import io
    buffer = io.BytesIO()
    TorchPickler(buffer, protocol, legacy).dump(obj)
    return buffer.getvalue()


def zip_members(protocol):
    members = [("strided/data.pkl", pickled(state_dict(lambda k: storages[k][0]), protocol)),
               ("strided/byteorder", b"little")]
    members += [(f"strided/data/{k}", s.raw) for k, (s, _) in storages.items()]
    members.append(("strided/version", b"3\n"))
    return members


def write_zip(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)


def write_zip64(path, members):
    """Every size and offset goes through zip64 extra fields and the zip64 end records."""
    out = bytearray()
    central = bytearray()
    for name, data in members:
        encoded = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x5021, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(local_extra))
        out += encoded + local_extra + data
        central_extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x5021, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(central_extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += encoded + central_extra
    directory_offset = len(out)
    out += central
    record_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members), len(members),
                       len(central), directory_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, record_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(out)
    with zipfile.ZipFile(path) as z:  # Python's reader agrees
        assert z.testzip() is None and [i.filename for i in z.infolist()] == [m[0] for m in members]


def write_legacy(path):
    # Float storage "0" is saved once as a root; "0v" is a view of its elements 2..11 (offset 2).
    root = storages["0"][0]
    views = {"0": root}
    views["0v"] = Storage("0", "FloatStorage", None, 12, view=("0v", 2, 10))
    for k in ("1", "2", "3"):
        views[k] = storages[k][0]

    def storage_for(key):
        return views["0v"] if key == "0" and storage_for.use_view else views[key]
    storage_for.use_view = False

    sd = state_dict(storage_for)
    # conv.bias reads the float storage through the view: its offset is relative to the view.
    name, key, offset, size, stride = LAYOUT[1]
    storage_for.use_view = True
    sd[name] = Tensor(storage_for(key), offset - 2, size, stride)

    out = bytearray()
    out += pickled(0x1950A86A20F9469CFC6C, 2)
    out += pickled(1001, 2)
    out += pickled({"protocol_version": 1001, "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 4}}, 2)
    out += pickled(sd, 2, legacy=True)
    keys = ["0", "1", "2", "3"]
    out += pickled(keys, 2)
    for k in keys:
        s = storages[k][0]
        out += struct.pack("<q", s.numel) + s.raw
    with open(path, "wb") as f:
        f.write(out)


def main():
    write_zip(os.path.join(HERE, "strided-zip.pth"), zip_members(2))
    write_zip64(os.path.join(HERE, "strided-zip64.pth"), zip_members(5))
    write_legacy(os.path.join(HERE, "strided-legacy.pth"))
    expected = {name: {"shape": list(size), "dtype": DTYPES[key], "values": expected_values(key, offset, size, stride)}
                for name, key, offset, size, stride in LAYOUT}
    with open(os.path.join(HERE, "strided-expected.json"), "w") as f:
        json.dump({"names": [n for n, *_ in LAYOUT], "tensors": expected}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
