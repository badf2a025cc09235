#!/usr/bin/env python3
"""Writes src/render/highlight-styles.css: the highlight.js styles remark
0.14.1 bundles (its `highlighter.styles`, one per `highlightStyle` name,
every selector already under `.hljs-<name>`), read out of remark's
minified build, one style per two lines:

    /* highlightStyle: NAME */
    CSS

src/render/highlight_styles.rs reads that file. Usage:

    python3 tools/remark-styles.py path/to/remark-0.14.1.min.js

remark.min.js is remark's published build (npm `remark` is another
project: take it from https://remarkjs.com/downloads/remark-latest.min.js at
0.14.1, or from a package that vendors it, such as backslide 3.0.0). The
styles object is `t.exports={styles:{agate:"...", "arduino-light":"..."}}`
(remark's src/remark/highlighter.js build step, gnab/remark make.js
`bundleHighlighter`).
"""
import json
import re
import sys

NOTICE = """/* highlight.js 9 styles as remark 0.14.1 bundles them (one per
 * `highlightStyle`), written by tools/remark-styles.py from remark's build:
 * do not edit by hand.
 *
 * highlight.js: Copyright (c) 2006, Ivan Sagalaev. All rights reserved.
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are
 * met: redistributions of source code must retain the above copyright
 * notice, this list of conditions and the following disclaimer;
 * redistributions in binary form must reproduce the above copyright notice,
 * this list of conditions and the following disclaimer in the documentation
 * and/or other materials provided with the distribution; neither the name of
 * highlight.js nor the names of its contributors may be used to endorse or
 * promote products derived from this software without specific prior
 * written permission. THIS SOFTWARE IS PROVIDED BY THE REGENTS AND
 * CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT
 * NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
 * A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE REGENTS AND
 * CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL,
 * EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO,
 * PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR
 * PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF
 * LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
 * NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
 * SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 * Each style's own author notice is kept in its CSS. */
"""


def styles(js):
    start = "t.exports={styles:{"
    i = js.index(start) + len(start)
    dec = json.JSONDecoder()
    ident = re.compile(r"[A-Za-z_$][\w$]*")
    out = {}
    while True:
        while js[i] in " \n\t":
            i += 1
        if js[i] == '"':
            key, i = dec.raw_decode(js, i)
        else:
            m = ident.match(js, i)
            if not m:
                raise SystemExit(f"unexpected text at {i}: {js[i:i + 40]!r}")
            key, i = m.group(0), m.end()
        if js[i] != ":":
            raise SystemExit(f"expected ':' at {i}: {js[i:i + 40]!r}")
        value, i = dec.raw_decode(js, i + 1)
        out[key] = value
        if js[i] == "}":
            return out
        if js[i] != ",":
            raise SystemExit(f"expected ',' at {i}: {js[i:i + 40]!r}")
        i += 1


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        found = styles(f.read())
    with open("src/render/highlight-styles.css", "w", encoding="utf-8") as f:
        f.write(NOTICE)
        for name, css in found.items():
            if "\n" in css or "*/" in name:
                raise SystemExit(f"style {name!r} does not fit on one line")
            f.write(f"/* highlightStyle: {name} */\n{css}\n")
    print(f"{len(found)} styles")


if __name__ == "__main__":
    main()
