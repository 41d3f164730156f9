"""Re-saves a torch.save zip checkpoint the way people save training checkpoints, without torch.

usage: resave_checkpoint.py IN.pth OUT.pth LAYOUT

LAYOUT is one of
  state_dict        {'epoch': 3, 'best_acc1': 71.5, 'arch': ARCH, 'state_dict': sd, 'optimizer': opt}
  model             {'model': sd with every key prefixed 'module.' (DataParallel), 'optimizer': opt}
  model_state_dict  {'model_state_dict': sd, 'epoch': 3}
The tensors keep their storages (the data/N files are copied as they are); only data.pkl is
rewritten, with a stand-in `torch` module so that pickle writes the same globals torch writes.
The optimizer state is SGD's: int keys, momentum buffers (tensors) and lists, as torch saves it.
"""
import collections
import pickle
import sys
import types
import zipfile

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = utils
torch._utils = utils


class Tensor:
    """A tensor as the pickle holds it: the arguments of torch._utils._rebuild_tensor_v2."""

    def __init__(self, *args):
        self.args = args

    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)


def _rebuild_tensor_v2(*args):
    return Tensor(*args)


_rebuild_tensor_v2.__module__ = "torch._utils"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
for name in ["FloatStorage", "LongStorage", "HalfStorage", "DoubleStorage", "IntStorage", "ByteStorage", "BFloat16Storage"]:
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)


class Storage:
    """A persistent id ('storage', type, key, location, numel), kept as it was."""

    def __init__(self, pid):
        self.pid = pid


class Reader(pickle.Unpickler):
    def persistent_load(self, pid):
        return Storage(pid)


class Writer(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Storage) else None


def main():
    src, dst, layout = sys.argv[1:4]
    zin = zipfile.ZipFile(src)
    pkl = next(n for n in zin.namelist() if n.endswith("/data.pkl"))
    sd = Reader(zin.open(pkl)).load()
    first = next(iter(sd.values()))
    optimizer = {
        "state": {i: {"momentum_buffer": t} for i, t in enumerate(list(sd.values())[:4])},
        "param_groups": [{"lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4, "nesterov": False, "params": list(range(4))}],
    }
    if layout == "state_dict":
        root = {"epoch": 3, "arch": "mobilenet_v1", "state_dict": sd, "best_acc1": 71.5, "optimizer": optimizer}
    elif layout == "model":
        wrapped = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
        root = {"model": wrapped, "optimizer": optimizer}
    elif layout == "model_state_dict":
        root = {"model_state_dict": sd, "epoch": 3}
    else:
        sys.exit("unknown layout " + layout)
    assert isinstance(first, Tensor)
    zout = zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED)
    for info in zin.infolist():
        if info.filename == pkl:
            out = zout.open(pkl, "w")
            Writer(out, protocol=2).dump(root)
            out.close()
        else:
            zout.writestr(info, zin.read(info.filename))
    zout.close()


main()
