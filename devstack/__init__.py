"""The local stack: every service of the repo running on an embedded AWS emulator (``python -m devstack``)."""
