// ImageIO: see README.md in this folder.
