"""Pages (thin: permissions, the builder, a template)."""
