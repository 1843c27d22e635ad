"""`python -m flamingo.train` (what torchrun runs): the trainer's command line."""

import logging

from flamingo.train.trainer import main

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
raise SystemExit(main())
