"""Channel provider adapters; see :mod:`brief.dispatch.providers.base` for the contract."""
