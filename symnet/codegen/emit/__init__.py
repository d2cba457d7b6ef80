"""Printers: a line-list base, the sympy scalar printer, and one printer per target."""
