// Calibration: see README.md in this folder.
