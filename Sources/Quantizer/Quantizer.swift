// Quantizer: see README.md in this folder.
