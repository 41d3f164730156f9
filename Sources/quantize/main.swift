print("quantize")
