// Export: see README.md in this folder.
