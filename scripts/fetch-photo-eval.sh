#!/usr/bin/env bash
# Collects the photographs of the instance-retrieval evaluation (issue 11) from Debian packages:
#   scripts/fetch-photo-eval.sh [OUT_DIR]          (default: build/photo-eval)
# writes OUT_DIR/eval/<package>/<file> (the database of build/photo_eval) and
# OUT_DIR/whiten/<package>/<file> (the separate, disjoint package set PCA-whitening is learned
# on) as symbolic links, and prints how many images each package gave.
#
# A package that is installed is read where it is; one that is not is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into OUT_DIR/pkgroot/ (no root needed, the
# system is not changed, no dependencies pulled in). Nothing here is ever committed: the
# images are the packages' own files. Takes ~30 s and ~900 MB of disk the first time.
#
# Only photographs are kept where that can be told from the package layout: SVGs, abstract and
# desktop artwork, logos, synthetic test patterns, and the second image of stereo or sequence
# pairs (near-duplicates of the first, which would make "the original comes first" ambiguous)
# are left out; of a wallpaper shipped at several resolutions only the largest is kept.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/photo-eval}
mkdir -p "$OUT/pkgroot" "$OUT/debs"
rm -rf "$OUT/eval" "$OUT/whiten"
mkdir -p "$OUT/eval" "$OUT/whiten"

# root_of PKG: the directory under which the package's files are (/ when installed).
root_of() {
  local pkg=$1
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    echo /
    return
  fi
  local dir="$OUT/pkgroot/$pkg"
  if [ ! -f "$dir/.unpacked" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    local deb
    deb=$(ls "$OUT/debs/${pkg}_"*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
      (cd "$OUT/debs" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
        echo "fetch-photo-eval: apt-get download $pkg failed (run apt-get update?)" >&2
        exit 1
      }
      deb=$(ls "$OUT/debs/${pkg}_"*.deb | head -1)
    fi
    dpkg-deb -x "$deb" "$dir"
    touch "$dir/.unpacked"
  fi
  echo "$dir"
}

# add SET PKG FILE...: links the files into OUT/SET/PKG/.
add() {
  local set=$1 pkg=$2
  shift 2
  mkdir -p "$OUT/$set/$pkg"
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    # Named after the last three path parts: unique, and says what the picture is.
    ln -sf "$f" "$OUT/$set/$pkg/$(echo "$f" | awk -F/ '{print $(NF-3)"_"$(NF-2)"_"$(NF-1)"_"$NF}')"
  done
}

# ---------------------------------------------------------------- the evaluation set
r=$(root_of gnome-backgrounds)
# -l and -d are the light and dark variants of one picture: keep one. SVGs are vector art; vnc
# is a 1-pixel placeholder.
add eval gnome-backgrounds $(ls "$r"/usr/share/backgrounds/gnome/*-l.webp | grep -v /vnc-)

r=$(root_of mate-backgrounds)
# nature/ are photographs; abstract/ and desktop/ are artwork except the Elephants photo (also
# shipped at 3840x2160 and 5640x3172: the same picture).
add eval mate-backgrounds "$r"/usr/share/backgrounds/mate/nature/*.jpg \
  "$r"/usr/share/backgrounds/mate/abstract/Elephants.jpg

r=$(root_of ukui-wallpapers)
add eval ukui-wallpapers "$r"/usr/share/backgrounds/*.jpg "$r"/usr/share/backgrounds/*.png

r=$(root_of lomiri-wallpapers-16.04)
add eval lomiri-wallpapers-16.04 "$r"/usr/share/backgrounds/*.jpg
r=$(root_of lomiri-wallpapers-20.04)
add eval lomiri-wallpapers-20.04 "$r"/usr/share/backgrounds/*.jpg
# lomiri-wallpapers itself holds only the abstract "warty-final" artwork and an empty file.

r=$(root_of plasma-workspace-wallpapers)
for d in "$r"/usr/share/wallpapers/*/contents/images; do
  # The largest file of each wallpaper (one picture at up to 13 resolutions).
  add eval plasma-workspace-wallpapers "$(ls -S "$d"/*.jpg "$d"/*.png 2>/dev/null | head -1)"
done

r=$(root_of lxqt-themes)
add eval lxqt-themes "$r"/usr/share/lxqt/wallpapers/*.jpg

r=$(root_of opencv-doc)
data="$r/usr/share/doc/opencv-doc/examples/data"
# The photographs among OpenCV's sample images; left out: chessboard series and stereo/sequence
# second frames (right*, left02.., aloeR, basketball2, rubberwhale2, graf3, leuvenB, aero3,
# Blender_Suzanne2, ela_modified, box_in_scene), synthetic images, plots, logos and text.
add eval opencv-doc $(for n in HappyFish aero1 aloeL apple baboon basketball1 board box building \
  butterfly chicky_512 ela_original fruits graf1 home left leuvenA licenseplate_motion messi5 \
  orange pca_test1 rubberwhale1 smarties squirrel_cls starry_night stuff sudoku \
  Blender_Suzanne1 left01; do ls "$data/$n".* 2>/dev/null | head -1; done) \
  "$r"/usr/share/doc/opencv-doc/examples/hfs/data/*.jpg

r=$(root_of stellarium-data)
# Deep-sky photographs (telescope images of nebulae and galaxies): every other one of those
# over 100 kB, sorted by name, so that small thumbnails and near-identical series thin out.
add eval stellarium-data $(find "$r"/usr/share/stellarium/nebulae/default -name '*.png' \
  -size +100k | sort | awk 'NR % 2 == 1')

# ---------------------------------------------------------------- the whitening set
r=$(root_of darknet)
add whiten darknet "$r"/usr/share/darknet/data/*.jpg

r=$(root_of python3-skimage)
sk="$r/usr/lib/python3/dist-packages/skimage/data"
add whiten python3-skimage $(for n in astronaut brick camera chelsea coffee coins grass gravel \
  hubble_deep_field ihc moon motorcycle_left retina rocket page cell color; do
  ls "$sk/$n".* 2>/dev/null | head -1; done)

r=$(root_of tuxpaint-stamps-default)
# Photographic stamps (animals, food, plants, objects cut out of photographs); the drawn
# folders (cartoon, letters, symbols, flags, signs, …) are left out.
add whiten tuxpaint-stamps-default $(find "$r"/usr/share/tuxpaint/stamps \
  \( -path '*/animals/*' -o -path '*/food/*' -o -path '*/plants/*' -o -path '*/vehicles/*' \
     -o -path '*/household/*' -o -path '*/clothes/*' -o -path '*/sports/*' \) \
  -name '*.png' ! -name '*_thumb*' | grep -v -e cartoon -e /seasonal/ | sort)

for set in eval whiten; do
  total=0
  for d in "$OUT/$set"/*/; do
    n=$(find "$d" -type l | wc -l)
    total=$((total + n))
    printf 'fetch-photo-eval: %-6s %-30s %4d\n' "$set" "$(basename "$d")" "$n"
  done
  printf 'fetch-photo-eval: %-6s %-30s %4d\n' "$set" total "$total"
done
