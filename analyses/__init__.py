"""Pure statistics: data in, result objects out. No I/O, no printing."""
