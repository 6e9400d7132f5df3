#!/usr/bin/env python3
"""Draws Switchboard's app and tray icons into icons/ with no dependencies but the stdlib.

The app icon: an indigo rounded square with three patch-cord rows (a jack and a cord each).
The tray icons share the drawing, small and on a transparent ground, with a status dot:
idle (no dot), running (green), attention (amber: a session waits for you or failed).
Run it again after changing the drawing; the outputs are committed.
"""
import math, os, struct, zlib

OUT = os.path.join(os.path.dirname(__file__), "..", "icons")
SS = 4  # supersampling factor for anti-aliased edges

def png_bytes(w, h, px):
    raw = b"".join(b"\x00" + bytes(px[y * w * 4:(y + 1) * w * 4]) for y in range(h))
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

def rounded_rect(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r); cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1

def shapes(tray, dot):
    """Returns a function (u, v) in [0,1)^2 -> RGBA tuple or None (back to front)."""
    bg = (79, 70, 229, 255)
    fg = (255, 255, 255, 255) if not tray else (230, 232, 240, 255)
    jack_on = (52, 211, 153, 255)
    rows = (0.30, 0.50, 0.70)
    def at(u, v):
        col = None
        if not tray:
            if rounded_rect(u, v, 0.06, 0.06, 0.94, 0.94, 0.2):
                col = bg
        else:
            if rounded_rect(u, v, 0.02, 0.02, 0.98, 0.98, 0.22):
                col = (55, 48, 163, 255)
        for i, ry in enumerate(rows):
            jx = 0.28
            if (u - jx) ** 2 + (v - ry) ** 2 <= 0.075 ** 2:
                col = jack_on if (i == 1 and not tray) else fg
            elif jx < u <= 0.78 and abs(v - ry) <= 0.028:
                col = fg
            elif (u - 0.78) ** 2 + (v - ry) ** 2 <= 0.045 ** 2:
                col = fg
        if dot is not None and (u - 0.76) ** 2 + (v - 0.76) ** 2 <= 0.21 ** 2:
            col = (255, 255, 255, 255) if (u - 0.76) ** 2 + (v - 0.76) ** 2 > 0.16 ** 2 else dot
        return col
    return at

def render(size, tray=False, dot=None):
    f = shapes(tray, dot)
    px = bytearray(size * size * 4)
    for y in range(size):
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    c = f((x + (sx + 0.5) / SS) / size, (y + (sy + 0.5) / SS) / size)
                    if c:
                        a = c[3]
                        acc[0] += c[0] * a; acc[1] += c[1] * a; acc[2] += c[2] * a; acc[3] += a
            n = SS * SS
            if acc[3]:
                px[(y * size + x) * 4:(y * size + x) * 4 + 4] = bytes(
                    (acc[0] // acc[3], acc[1] // acc[3], acc[2] // acc[3], acc[3] // n))
    return png_bytes(size, size, px)

def write(name, data):
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)

def ico(pngs):
    head = struct.pack("<HHH", 0, 1, len(pngs))
    off = 6 + 16 * len(pngs); dirs = b""; body = b""
    for size, data in pngs:
        dirs += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), off + len(body))
        body += data
    return head + dirs + body

def icns(pngs):
    types = {128: b"ic07", 256: b"ic08", 512: b"ic09"}
    body = b"".join(types[s] + struct.pack(">I", len(d) + 8) + d for s, d in pngs if s in types)
    return b"icns" + struct.pack(">I", len(body) + 8) + body

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    sizes = {s: render(s) for s in (32, 128, 256, 512)}
    write("32x32.png", sizes[32]); write("128x128.png", sizes[128])
    write("128x128@2x.png", sizes[256]); write("icon.png", sizes[512])
    write("icon.ico", ico([(32, sizes[32]), (256, sizes[256])]))
    write("icon.icns", icns([(128, sizes[128]), (256, sizes[256]), (512, sizes[512])]))
    for name, dot in (("idle", None), ("running", (34, 197, 94, 255)), ("attention", (245, 158, 11, 255))):
        write(f"tray-{name}.png", render(64, tray=True, dot=dot))
    print("icons written to", os.path.normpath(OUT))
