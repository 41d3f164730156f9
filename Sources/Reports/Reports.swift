// Reports: see README.md in this folder.
