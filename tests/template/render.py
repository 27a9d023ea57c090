"""
tests/template/render.py - the Python renderer of tests/template/*.in, used
by tests/integration/conftest.py. The same rules as render.sh (written
there); tests/integration/test_config_template.py renders with both and
compares the files. Stdlib only.

    from render import render
    text = render(TEMPLATE, {"SOCKET": path, "LOCATIONS": "..."})
"""

import re
from pathlib import Path

NAME = r"[A-Z][A-Z0-9_]*"
BLOCK = re.compile(r"^[ \t]*@(%s)@[ \t]*$" % NAME)
INLINE = re.compile(r"@(%s)@" % NAME)
SESSIONGW_CONF = Path(__file__).resolve().parent / "sessiongw.conf.in"
NGINX_CONF = Path(__file__).resolve().parent / "nginx.conf.in"


class RenderError(ValueError):
    pass


def render(template, values):
    """The text of template (a path) with values (NAME -> anything str()
    takes) put in; RenderError on a missing inline value, a multi-line
    inline value or a value the template has no place for."""
    template = Path(template)
    values = {k: str(v) for k, v in values.items()}
    for k in values:
        if not re.fullmatch(NAME, k):
            raise RenderError("render: bad name %s" % k)
    lines = template.read_text().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out, used = [], set()
    for n, line in enumerate(lines, 1):
        if line.startswith("##"):
            continue
        m = BLOCK.match(line)
        if m:
            used.add(m.group(1))
            v = values.get(m.group(1), "").rstrip("\n")
            if v:
                out.append(v)
            continue

        def sub(m):
            name = m.group(1)
            if name not in values:
                raise RenderError("render: %s:%d: no value for @%s@" % (template, n, name))
            if "\n" in values[name]:
                raise RenderError("render: %s:%d: @%s@ is inline: its value must be one line"
                                  % (template, n, name))
            used.add(name)
            return values[name]
        out.append(INLINE.sub(sub, line))
    for name in values:
        if name not in used:
            raise RenderError("render: %s: no @%s@ in the template" % (template, name))
    return "".join(l + "\n" for l in out)
