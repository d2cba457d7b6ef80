"""Printer base: a list of lines with indentation markers, joined once at the end."""

from __future__ import annotations

from contextlib import contextmanager


class Lines:
    """Collects source lines; ``with lines.block("for i in range(n):")`` indents its body."""

    def __init__(self, indent: str = "    "):
        self.lines: list = []
        self.level = 0
        self.indent = indent

    def add(self, line: str = "") -> None:
        self.lines.append(self.indent * self.level + line if line else "")

    def extend(self, lines) -> None:
        for line in lines:
            self.add(line)

    @contextmanager
    def block(self, header: str):
        self.add(header)
        self.level += 1
        try:
            yield
        finally:
            self.level -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
