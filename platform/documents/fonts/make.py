#!/usr/bin/env python3
"""Makes the fonts the documents embed, once, by hand: DejaVu Sans and DejaVu Sans Bold (Debian's
fonts-dejavu-core, Bitstream Vera licence, see LICENSE) cut down to the characters of WinAnsi
(Windows-1252), which covers German; and ../src/pdf/metrics.rs with their widths and metrics.

    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools
    /tmp/ft/bin/python platform/documents/fonts/make.py
"""
import os
from fontTools import subset
from fontTools.ttLib import TTFont

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = "/usr/share/fonts/truetype/dejavu"
CODES = list(range(32, 127)) + list(range(128, 256))


def char(code):
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return None


CHARS = [c for c in (char(i) for i in CODES) if c]


def make(name):
    opts = subset.Options()
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.layout_features = []
    opts.drop_tables += ["GPOS", "GSUB", "GDEF", "kern"]
    font = TTFont(os.path.join(SRC, name + ".ttf"))
    sub = subset.Subsetter(options=opts)
    sub.populate(unicodes=[ord(c) for c in CHARS])
    sub.subset(font)
    out = os.path.join(HERE, name + ".ttf")
    font.save(out)
    font = TTFont(out)
    upem = font["head"].unitsPerEm
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    widths = []
    for code in range(32, 256):
        c = char(code)
        g = cmap.get(ord(c)) if c else None
        widths.append(round(hmtx[g][0] * 1000 / upem) if g else 0)
    head, os2, post = font["head"], font["OS/2"], font["post"]
    scale = lambda v: round(v * 1000 / upem)
    return {
        "widths": widths,
        "bbox": [scale(head.xMin), scale(head.yMin), scale(head.xMax), scale(head.yMax)],
        "ascent": scale(os2.sTypoAscender if os2.sTypoAscender else font["hhea"].ascent),
        "descent": scale(os2.sTypoDescender if os2.sTypoDescender else font["hhea"].descent),
        "cap_height": scale(getattr(os2, "sCapHeight", 0) or 729),
        "italic_angle": post.italicAngle,
    }


def rust(const, m):
    w = ", ".join(str(x) for x in m["widths"])
    return (
        f"pub const {const}: FontMetrics = FontMetrics {{\n"
        f"    widths: [{w}],\n"
        f"    bbox: {m['bbox']},\n"
        f"    ascent: {m['ascent']},\n"
        f"    descent: {m['descent']},\n"
        f"    cap_height: {m['cap_height']},\n"
        f"}};\n"
    ).replace("bbox: [", "bbox: [").replace("'", "")


regular = make("DejaVuSans")
bold = make("DejaVuSans-Bold")
with open(os.path.join(HERE, "..", "src", "pdf", "metrics.rs"), "w") as f:
    f.write("//! Widths (WinAnsi codes 32 to 255, in thousandths of an em) and metrics of the embedded fonts.\n")
    f.write("//! Written by fonts/make.py; do not edit.\n\n")
    f.write("/// What the PDF needs to know of a font.\npub struct FontMetrics {\n    pub widths: [u16; 224],\n    pub bbox: [i16; 4],\n    pub ascent: i16,\n    pub descent: i16,\n    pub cap_height: i16,\n}\n\n")
    f.write("#[rustfmt::skip]\n" + rust("REGULAR", regular) + "\n#[rustfmt::skip]\n" + rust("BOLD", bold))
