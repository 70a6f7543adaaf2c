"""The e-commerce demo: generated systems and history, `dxq demo`, an alert sink."""
