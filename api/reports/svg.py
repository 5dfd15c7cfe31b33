"""matplotlib, loaded on the first report, and its figures as SVG fragments to inline in a page.

Only the object API is used (Figure + the SVG canvas, never pyplot), so no global figure state is shared between
the threads rendering two reports at once. The import costs the API process about half a second and some 40 MB
the first time a report is asked for, and nothing before: `simulacra api` starts without it
(tests/test_import_boundaries.py).
"""

from __future__ import annotations

import io
import itertools
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
REAL, SYNTHETIC, INK, MUTED, LINE = "#9aa3b5", "#3451b2", "#1d2330", "#5b6475", "#e3e6ec"
_lock = threading.Lock()
_prefixes = itertools.count()
_modules: dict[str, ModuleType] = {}


def _matplotlib() -> ModuleType:
    with _lock:
        if "figure" not in _modules:
            import matplotlib
            import matplotlib.figure

            # Text stays text (small, selectable, printable), and ids come out the same on every run. Set once:
            # this process uses matplotlib for nothing else.
            matplotlib.rcParams.update(
                {
                    "svg.fonttype": "none",
                    "svg.hashsalt": "simulacra",
                    "font.family": "sans-serif",
                    "font.size": 9,
                    "axes.edgecolor": MUTED,
                    "axes.labelcolor": INK,
                    "xtick.color": MUTED,
                    "ytick.color": MUTED,
                    "text.color": INK,
                }
            )
            _modules["figure"] = matplotlib.figure
    return _modules["figure"]


def figure(width: float, height: float, margins: tuple[float, float, float, float] | None = None) -> Figure:
    """A figure of `width` x `height` inches, laid out tightly, or with fixed `margins` (left, bottom, right, top as
    shares of the figure): a third faster, for the small multiples drawn by the dozen. At 72 dpi, as the SVG canvas
    draws, so a draw before saving (see graph_drawing) places everything where the saved drawing will."""
    if margins is None:
        created: Figure = _matplotlib().Figure(figsize=(width, height), dpi=72, layout="constrained")
        return created
    created = _matplotlib().Figure(figsize=(width, height), dpi=72)
    left, bottom, right, top = margins
    created.subplots_adjust(left=left, bottom=bottom, right=right, top=top)
    return created


def to_svg(fig: Figure, label: str, annotations: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The figure as an `<svg>` element, labelled for screen readers. `annotations` maps an artist's gid to the
    attributes to add to its group; a "title" entry becomes the group's `<title>` (a tooltip in every browser)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(buffer.getvalue())
    root.set("role", "img")
    root.set("aria-label", label)
    for key in ("width", "height"):  # sized by the page's CSS, from the viewBox
        root.attrib.pop(key, None)
    for element in root.iter(f"{{{SVG_NS}}}g"):
        extra = (annotations or {}).get(element.get("id", ""))
        if extra:
            for name, value in extra.items():
                if name == "title":
                    title = ET.Element(f"{{{SVG_NS}}}title")
                    title.text = value
                    element.insert(0, title)
                else:
                    element.set(name, value)
    metadata = root.find(f"{{{SVG_NS}}}metadata")
    if metadata is not None:
        root.remove(metadata)
    return _prefixed(ET.tostring(root, encoding="unicode"))


def _prefixed(svg: str) -> str:
    """Ids unique in the page: several charts inline in one document would otherwise share `patch_1`, etc."""
    prefix = f"c{next(_prefixes)}-"
    return re.sub(r'(\bid="|url\(#|href="#)', lambda match: match.group(1) + prefix, svg)


def style_axes(axes: Any) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color(LINE)
    axes.tick_params(length=2)
