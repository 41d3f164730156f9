// IntEngine: see README.md in this folder.
