"""Build `countries-110m.json` from the Natural Earth 1:110m admin-0 countries shapefile.

Run once by hand, never by the app:

    pip download geopandas==0.14.4 --no-deps -d /tmp/gpd      # ships naturalearth_lowres/
    pip download pyshp --no-deps -d /tmp/gpd
    cd /tmp/gpd && unzip -o geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*'
    PYTHONPATH=/tmp/gpd/pyshp-*.whl python salama/analytics/data/make_countries.py \
        /tmp/gpd/geopandas/datasets/naturalearth_lowres/naturalearth_lowres

It projects every ring with the Equal Earth projection (equal-area, so a big country does not
look more violent than a small one merely by its size on a Mercator map), simplifies each ring
to about half a pixel at the map's width, rounds to one decimal, and keys each country by its
ISO 3166-1 alpha-2 code. Antarctica is left out (no incidents, a third of the picture).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import shapefile  # pyshp: only needed here, not by Salama
from django_countries.data import ALT_CODES

WIDTH = 1000.0
TOLERANCE = 0.5  # pixels at WIDTH: below what a reader can see
OUT = Path(__file__).with_name("countries-110m.json")

# Equal Earth (Šavrič, Patterson, Jenny 2018).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2
X_MAX = 2 * math.sqrt(3) * math.pi / (3 * A1)  # x at longitude 180, latitude 0
SCALE = WIDTH / (2 * X_MAX)

# Natural Earth codes the ISO codes leave out: Kosovo's user-assigned code, and the two areas
# that ISO (and so the country field of an incident) counts as part of a member state.
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}
LEFT_OUT = {"ATA"}


def equal_earth(longitude: float, latitude: float) -> tuple[float, float]:
    lam, phi = math.radians(longitude), math.radians(latitude)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (3 * (9 * A4 * t6 * t2 + 7 * A3 * t6 + 3 * A2 * t2 + A1))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative so that long coastlines do not hit the recursion limit."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1e-12
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            x0, y0 = points[i]
            distance = abs(dy * x0 - dx * y0 + x2 * y1 - y2 * x1) / length
            if distance > worst:
                worst, index = distance, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplify_ring(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """A closed ring starts and ends on one point, which leaves Douglas-Peucker no line to measure
    from: split it at the point farthest from its start and simplify each half."""
    x0, y0 = points[0]
    far = max(range(len(points)), key=lambda i: math.hypot(points[i][0] - x0, points[i][1] - y0))
    return simplify(points[: far + 1], tolerance)[:-1] + simplify(points[far:], tolerance)


def ring(coordinates: list[list[float]]) -> list[float]:
    projected = []
    for longitude, latitude in coordinates:
        x, y = equal_earth(longitude, latitude)
        projected.append(((x + X_MAX) * SCALE, -y * SCALE))
    flat: list[float] = []
    for x, y in simplify_ring(projected, TOLERANCE)[:-1]:  # the closing point is implied
        flat += [round(x, 1), round(y, 1)]
    return flat


def alpha2(record: dict) -> str | None:
    if record["name"] in BY_NAME:
        return BY_NAME[record["name"]]
    by_alpha3 = {codes[0]: code for code, codes in ALT_CODES.items()}
    return by_alpha3.get(record["iso_a3"])


def main(path: str) -> None:
    countries: dict[str, dict] = {}
    for shape_record in shapefile.Reader(path).iterShapeRecords():
        record = shape_record.record.as_dict()
        if record["iso_a3"] in LEFT_OUT:
            continue
        code = alpha2(record)
        if code is None:
            raise SystemExit(f"no ISO code for {record['name']} ({record['iso_a3']})")
        geometry = shape_record.shape.__geo_interface__
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        entry = countries.setdefault(code, {"name": record["name"], "polygons": []})
        if record["name"] not in BY_NAME:  # the member state names the merged entry
            entry["name"] = record["name"]
        for polygon in polygons:
            rings = [ring(list(r)) for r in polygon]
            if len(rings[0]) >= 6:  # a polygon that simplifies to less than a triangle is invisible
                entry["polygons"].append([r for r in rings if len(r) >= 6])
    ys = [ring[i] for c in countries.values() for p in c["polygons"] for ring in p for i in range(1, len(ring), 2)]
    top, bottom = min(ys), max(ys)
    for country in countries.values():  # move the top edge to y = 0
        for polygon in country["polygons"]:
            for r in polygon:
                r[1::2] = [round(y - top, 1) for y in r[1::2]]
    document = {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain)",
        "projection": "Equal Earth",
        "width": WIDTH,
        "height": round(bottom - top, 1),
        "countries": dict(sorted(countries.items())),
    }
    OUT.write_text(json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
