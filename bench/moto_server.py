"""moto's server, with the fixes the local stack applies to it (``devstack.moto_transactions``,
``devstack.moto_reserved_words``).

python -m bench.moto_server -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import sys

from moto.server import main

from devstack.moto_reserved_words import refuse_reserved_words
from devstack.moto_transactions import fix_transactions

if __name__ == "__main__":
    fix_transactions()
    refuse_reserved_words()
    main()
    sys.exit(0)
