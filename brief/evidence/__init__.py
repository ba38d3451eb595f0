"""Evidence: signed sending certificates, file retention and the contract file (expediente)."""
