"""Colour-vision-deficiency checker for the charts' category markers (views round 17).

Simulates deuteranopia, protanopia and tritanopia with Machado et al. 2009's severity-1
matrices (the ones Chromium's ``Emulation.setEmulatedVisionDeficiency`` applies, in gamma
sRGB like its feColorMatrix) and achromatopsia as Rec. 709 luminance, then measures each pair
of colours by CIEDE2000. Two categories that can appear in one chart must differ in marker
shape wherever their colours come closer than :data:`MIN_DELTA_E` for any of these eyes.
"""

from __future__ import annotations

import itertools

import numpy as np

MACHADO: dict[str, np.ndarray] = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
         [0.004733, 0.691367, 0.303900]]
    ),
    "achromatopsia": np.array([[0.2126, 0.7152, 0.0722]] * 3),
}  # fmt: skip
#: Below this CIEDE2000 difference two same-shape markers count as one category.
MIN_DELTA_E = 12.0


def _rgb(colour: str) -> np.ndarray:
    code = colour.lstrip("#")
    return np.array([int(code[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def _lab(rgb: np.ndarray) -> np.ndarray:
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ linear
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference of two CIELAB colours (Sharma et al. 2005)."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1 - 0.17 * np.cos(np.radians(hbp - 30)) + 0.24 * np.cos(np.radians(2 * hbp))
        + 0.32 * np.cos(np.radians(3 * hbp + 6)) - 0.20 * np.cos(np.radians(4 * hbp - 63))
    )  # fmt: skip
    sl = 1 + 0.015 * (lbp - 50) ** 2 / np.sqrt(20 + (lbp - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    rt = (
        -2
        * np.sqrt(cbp**7 / (cbp**7 + 25**7))
        * np.sin(np.radians(60 * np.exp(-(((hbp - 275) / 25) ** 2))))
    )
    return float(
        np.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh))
    )


def delta_e(colour1: str, colour2: str, eye: str) -> float:
    """CIEDE2000 between two hex colours as ``eye`` (a key of :data:`MACHADO`) sees them."""
    matrix = MACHADO[eye]
    seen = [_lab(np.clip(matrix @ _rgb(c), 0, 1)) for c in (colour1, colour2)]
    return ciede2000(*seen)


def clashes(
    markers: dict[str, tuple[str, str]], *, min_delta_e: float = MIN_DELTA_E
) -> list[tuple[str, str, str, float]]:
    """Pairs of ``markers`` (category -> (colour, symbol)) drawn in the same symbol whose
    colours come closer than ``min_delta_e`` for some eye: (a, b, eye, ΔE), closest first."""
    found = []
    for (a, (ca, sa)), (b, (cb, sb)) in itertools.combinations(markers.items(), 2):
        if sa != sb:
            continue
        worst = min((delta_e(ca, cb, eye), eye) for eye in MACHADO)
        if worst[0] < min_delta_e:
            found.append((a, b, worst[1], worst[0]))
    return sorted(found, key=lambda row: row[3])
