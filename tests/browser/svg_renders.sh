#!/bin/sh
# Renders kmemu's SVG pictures in headless Chromium (Debian's `chromium` package) and checks
# that each one loads as an image and paints something: an <img> per picture, drawn into a
# canvas, whose non-white pixels are counted by the page itself; --dump-dom prints the verdict.
# Usage: svg_renders.sh KMEMU_BINARY WORKDIR
set -eu
kmemu=$1
dir=$2
mkdir -p "$dir"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install chromium)"; exit 77
fi
"$kmemu" layout --svg "$dir/layout-i386.svg" arch=i386 mem=512M kernel=2.6.32
"$kmemu" layout --svg "$dir/layout-arm64.svg" arch=arm64 kernel=6.1
"$kmemu" walk --svg "$dir/walk-x86_64.svg" arch=x86_64 kernel=6.1 0xffffffff81000000
cat > "$dir/check.html" <<'HTML'
<!doctype html><html><head><title>pending</title></head><body><script>
const files = ["layout-i386.svg", "layout-arm64.svg", "walk-x86_64.svg"];
const results = [];
let left = files.length;
for (const f of files) {
  const img = new Image();
  img.onload = () => {
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i+1] < 250 || d[i+2] < 250) ink++;
    results.push(f + ":" + (ink > 1000 ? "ok" : "blank") + ":" + img.naturalWidth + "x" + img.naturalHeight);
    if (--left === 0) document.title = results.sort().join(" ");
  };
  img.onerror = () => { results.push(f + ":error"); if (--left === 0) document.title = results.sort().join(" "); };
  img.src = f;
}
</script></body></html>
HTML
out=$("$browser" --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
        --virtual-time-budget=5000 --dump-dom "file://$(cd "$dir" && pwd)/check.html" 2>/dev/null)
title=$(printf '%s' "$out" | sed -n 's:.*<title>\(.*\)</title>.*:\1:p')
echo "$title"
case "$title" in
  *error*|*blank*|pending|"") exit 1 ;;
esac
count=$(printf '%s' "$title" | tr ' ' '\n' | grep -c ':ok:')
[ "$count" -eq 3 ]
