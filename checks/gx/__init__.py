"""The GX adapter: the only code that imports great_expectations. `adapter` runs a suite file
through GX; `words` asks GX for an expectation's own description and checks its arguments."""
