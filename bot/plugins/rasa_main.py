"""The command line of every Rasa process the project starts: `python -m bot.plugins.rasa_main run ...` is
`rasa run ...`, with one difference in import order.

Rasa's logistic regression classifier loads and saves its model with skops. When skops is first imported, it
looks up the module of every numpy and scipy ufunc by scanning all loaded modules. Inside a Rasa process,
after TensorFlow and Rasa are loaded, that is about 6,000 modules, and it took 9-11 s of every Rasa start
and every training. Imported first, before Rasa, it takes about 2 s (docs/bench/coldstart.md).
"""

from __future__ import annotations

import sys

import skops.io  # noqa: F401 - first, on purpose (see above)
from rasa.__main__ import main

if __name__ == "__main__":
    sys.argv[0] = "rasa"
    main()
