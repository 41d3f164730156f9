// FloatEngine: see README.md in this folder.
