// ModelIO: see README.md in this folder.
