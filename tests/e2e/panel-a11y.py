#!/usr/bin/python3
"""A desktop application as its accessibility tree (AT-SPI) shows it, as
a screen reader reads it: ROLE<TAB>TEXT for every accessible with a name
or text.

    panel-a11y.py APP-NAME

The caller's session bus (DBUS_SESSION_BUS_ADDRESS) must be the
application's; the accessibility bus is found through it (org.a11y.Bus).
Exits 1 when no application of that name is registered."""
import sys

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, GLib  # noqa: E402

MAX_NODES = 20000


def nodes(node, depth=0, seen=None):
    """Every accessible under node, depth first (bounded)."""
    seen = [0] if seen is None else seen
    if node is None or seen[0] >= MAX_NODES or depth > 64:
        return
    seen[0] += 1
    yield node
    try:
        count = node.get_child_count()
    except GLib.Error:
        return  # it went away while we read it
    for i in range(count):
        try:
            child = node.get_child_at_index(i)
        except GLib.Error:
            continue
        yield from nodes(child, depth + 1, seen)


def texts(node):
    try:
        shown = {node.get_name() or ''}
        if node.get_role_name() in ('label', 'text'):
            # the Accessible is its Text interface too (Atspi's GI binding)
            shown.add(Atspi.Text.get_text(node, 0, Atspi.Text.get_character_count(node)) or '')
        return node.get_role_name(), shown - {''}
    except GLib.Error:
        return '', set()


def main():
    desktop = Atspi.get_desktop(0)
    app = None
    for i in range(desktop.get_child_count()):
        candidate = desktop.get_child_at_index(i)
        if candidate is not None and candidate.get_name() == sys.argv[1]:
            app = candidate
    if app is None:
        return 1
    for node in nodes(app):
        role, shown = texts(node)
        for text in sorted(shown):
            print(f'{role}\t{text}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
