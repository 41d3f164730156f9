#!/usr/bin/env python3
"""Float `.tflite` fixtures for the float `.tflite` importer's tests (a test oracle, not the product).

    python3 Scripts/float_tflite.py make INT8.tflite OUT.float.tflite [ORACLE.tflite]
    python3 Scripts/float_tflite.py run MODEL.tflite INPUTS.f32 OUT.f32

`make` reads a TFLite converter int8 `.tflite` and writes the same network in float32 ("the
dequantized network"): every int8 constant becomes w = scale[c] * (q - zero_point[c]) along its
quantized dimension, every int32 bias b = scale[c] * q (the file's bias scale is s_in * s_w[c]),
every activation tensor float32 without quantization parameters, and QUANTIZE / DEQUANTIZE
operators are removed (their output is their input), so the model input is the float normalized
NHWC image. ORACLE, if given, is the same float file runnable by TensorFlow Lite Micro, which has
no RELU_0_TO_1 kernel: each RELU_0_TO_1 becomes MAXIMUM(x, 0) then MINIMUM(., 1) with constant
scalar tensors (the same function exactly).

`run` runs MODEL in TFLM's reference interpreter on the N float32 inputs in INPUTS.f32 (N x the
input tensor's elements) and writes the N float32 outputs to OUT.f32.
"""
import sys

import numpy as np

RELU_0_TO_1, MAXIMUM, MINIMUM, QUANTIZE, DEQUANTIZE = 152, 55, 57, 114, 6
FLOAT32, INT32, INT8 = 0, 2, 9


def schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s
    return s


def code_of(model, op):
    c = model.operatorCodes[op.opcodeIndex]
    return max(c.builtinCode, c.deprecatedBuiltinCode)


def pack(model):
    import flatbuffers
    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def dequantize(model):
    """The float32 model of an int8 one (in place)."""
    g = model.subgraphs[0]
    for t in g.tensors:
        q = t.quantization
        has_scale = q is not None and q.scale is not None and len(q.scale) > 0
        data = model.buffers[t.buffer].data if t.buffer else None
        if data is not None and len(data) > 0 and has_scale and t.type in (INT8, INT32):
            dtype = np.int8 if t.type == INT8 else np.int32
            values = np.frombuffer(bytes(bytearray(data)), dtype=dtype).astype(np.float64).reshape(list(t.shape))
            scale = np.asarray(q.scale, dtype=np.float64)
            zero = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0], dtype=np.float64)
            axis = q.quantizedDimension if len(scale) > 1 else 0
            bshape = [1] * values.ndim
            if len(scale) > 1:
                bshape[axis] = len(scale)
            w = (values - zero.reshape(bshape if len(zero) > 1 else [1] * values.ndim)) * scale.reshape(bshape)
            model.buffers[t.buffer].data = np.frombuffer(w.astype(np.float32).tobytes(), dtype=np.uint8)
            t.type = FLOAT32
            t.quantization = None
        elif t.type == INT8 and (data is None or len(data) == 0):
            t.type = FLOAT32
            t.quantization = None
    # QUANTIZE / DEQUANTIZE: readers of the output read the input instead.
    alias = {}
    kept = []
    for op in g.operators:
        if code_of(model, op) in (QUANTIZE, DEQUANTIZE):
            alias[op.outputs[0]] = alias.get(op.inputs[0], op.inputs[0])
        else:
            kept.append(op)
    for op in kept:
        op.inputs = [alias.get(i, i) for i in op.inputs]
    g.operators = kept
    g.inputs = [alias.get(i, i) for i in g.inputs]
    g.outputs = [alias.get(i, i) for i in g.outputs]


def opcode(model, builtin):
    s = schema()
    for k, c in enumerate(model.operatorCodes):
        if max(c.builtinCode, c.deprecatedBuiltinCode) == builtin:
            return k
    c = s.OperatorCodeT()
    c.builtinCode = builtin
    c.deprecatedBuiltinCode = min(builtin, 127)
    c.version = 1
    model.operatorCodes.append(c)
    return len(model.operatorCodes) - 1


def constant(model, value, name):
    s = schema()
    b = s.BufferT()
    b.data = np.frombuffer(np.asarray([value], dtype=np.float32).tobytes(), dtype=np.uint8)
    model.buffers.append(b)
    t = s.TensorT()
    t.shape = np.asarray([1], dtype=np.int32)
    t.type = FLOAT32
    t.buffer = len(model.buffers) - 1
    t.name = name.encode()
    g = model.subgraphs[0]
    g.tensors.append(t)
    return len(g.tensors) - 1


def relu0to1_as_max_min(model):
    """RELU_0_TO_1(x) as MINIMUM(MAXIMUM(x, 0), 1) (in place)."""
    s = schema()
    g = model.subgraphs[0]
    zero = one = None
    ops = []
    for op in g.operators:
        if code_of(model, op) != RELU_0_TO_1:
            ops.append(op)
            continue
        if zero is None:
            zero, one = constant(model, 0.0, "oracle_zero"), constant(model, 1.0, "oracle_one")
        x, y = op.inputs[0], op.outputs[0]
        mid = s.TensorT()
        mid.shape = np.array(g.tensors[y].shape, dtype=np.int32)
        mid.type = FLOAT32
        mid.name = b"oracle_max_" + (g.tensors[y].name or b"")
        g.tensors.append(mid)
        m = len(g.tensors) - 1
        for code, inputs, output in ((MAXIMUM, [x, zero], m), (MINIMUM, [m, one], y)):
            o = s.OperatorT()
            o.opcodeIndex = opcode(model, code)
            o.inputs = np.asarray(inputs, dtype=np.int32)
            o.outputs = np.asarray([output], dtype=np.int32)
            ops.append(o)
    g.operators = ops


def make(src, dst, oracle=None):
    model = schema().ModelT.InitFromPackedBuf(open(src, "rb").read(), 0)
    dequantize(model)
    model.metadata = None  # the converter's metadata describes the int8 file
    model.signatureDefs = None
    open(dst, "wb").write(pack(model))
    if oracle:
        relu0to1_as_max_min(model)
        open(oracle, "wb").write(pack(model))


def run(path, inputs, out):
    from tflite_micro.python.tflite_micro import runtime
    interpreter = runtime.Interpreter.from_bytes(open(path, "rb").read())
    shape = tuple(int(d) for d in interpreter.get_input_details(0)["shape"])
    size = int(np.prod(shape))
    x = np.fromfile(inputs, dtype=np.float32)
    if x.size == 0 or x.size % size:
        raise SystemExit("%s: %d floats are not a whole number of %s inputs" % (inputs, x.size, shape))
    outputs = []
    for i in range(x.size // size):
        interpreter.set_input(x[i * size:(i + 1) * size].reshape(shape), 0)
        interpreter.invoke()
        outputs.append(np.asarray(interpreter.get_output(0), dtype=np.float32).reshape(-1))
    np.concatenate(outputs).astype(np.float32).tofile(out)


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "make":
        make(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "run":
        run(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
