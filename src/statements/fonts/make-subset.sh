#!/usr/bin/env bash
# Remakes BabelStoneHan-subset.woff2 from Debian's fonts-babelstone-han 15.0.5-2 (BabelStone Han 15.0.5,
# Andrew West, Arphic Public License): only the CJK ideographs that Noto Sans Hans and HanaMin both lack
# — Extensions G and H, and U+4DB6–4DBF, U+9FEB–9FFF, U+2A6D7–2A6DF, U+2B735–2B739 — with no hinting and
# no OpenType layout. Needs: apt-get install fonts-babelstone-han fonttools python3-brotli.
# Run once by hand; the service never needs these packages. The same input gives the same bytes.
set -euo pipefail
cd "$(dirname "$0")"
src=/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf
tmp=$(mktemp --suffix=.ttf)
trap 'rm -f "$tmp"' EXIT

pyftsubset "$src" \
  --unicodes='U+4DB6-4DBF,U+9FEB-9FFF,U+2A6D7-2A6DF,U+2B735-2B739,U+30000-323AF' \
  --layout-features='' --no-hinting --name-IDs='*' --name-languages='*' \
  --drop-tables+=DSIG,meta,GSUB,GPOS,GDEF --output-file="$tmp"

# The Arphic Public License (2a) asks a modified font to say in itself how and when it was changed:
# prepended to its description (name ID 10); then stored as WOFF2. Debian's python3 has fonttools.
"${PYTHON:-/usr/bin/python3}" - "$src" "$tmp" BabelStoneHan-subset.woff2 "${SUBSET_DATE:-2026-12-04}" <<'PY'
import sys
from fontTools.ttLib import TTFont
orig, src, dst, date = sys.argv[1:5]
font = TTFont(src, recalcTimestamp=False)
# The original's timestamp, not the time of the run, so that the same input makes the same bytes.
font["head"].modified = TTFont(orig, lazy=True)["head"].modified
notice = (f"Modified {date} for fund-ledger: subset with fonttools' pyftsubset to the CJK ideographs that "
          "Noto Sans Hans and HanaMin lack (Extensions G and H, a few of A, B, C and the URO); hinting, "
          "OpenType layout and DSIG/meta tables removed. Otherwise unchanged. ")
name = font["name"]
for rec in list(name.names):
    if rec.nameID == 10:
        name.setName(notice + rec.toUnicode(), 10, rec.platformID, rec.platEncID, rec.langID)
font.flavor = "woff2"
font.save(dst)
PY
ls -l BabelStoneHan-subset.woff2
