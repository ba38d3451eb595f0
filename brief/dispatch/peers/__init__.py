"""Protocol peers on loopback (tests, benchmarks, demo)."""
