#!/usr/bin/env python3
"""How far labdeck's code colouring agrees with highlight.js's as remark
0.14.1 shows it: per language, the share of non-space characters that get
the same innermost `hljs-*` class (or none) from both. Needs Chromium.

    python3 tools/hljs-agreement.py REMARK_MIN_JS LABDECK_BINARY [-v] [--from DIR]

(-v lists the characters that differ, by class pair; --from DIR measures
every distinct fenced code block of the Markdown files under DIR, such as
the corpus's slides, instead of the sample below, and sums per language.)
"""
import json, os, shutil, subprocess, html, re, sys, tempfile
if len(sys.argv) < 3:
    raise SystemExit(__doc__)
work = tempfile.mkdtemp(prefix="hljs-agreement-")
shutil.copy(sys.argv[1], os.path.join(work, "remark.min.js"))
labdeck_bin = sys.argv[2]
from html.parser import HTMLParser
blocks = {
 'yaml': "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the name\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: nginx\n        image: \"nginx:1.19\"\n        ports: [80, 443]\n        env: {debug: true}\n",
 'bash': "kubectl get pods -l app=web # list\nexport NS=$(kubectl get ns -o name)\nfor i in 1 2 3; do echo \"pod $i\"; done\nif [ -f /tmp/x ]; then cat /tmp/x | grep 'a'; fi\n",
 'js': "const x = 'a'; // c\nfunction f(a, b) { return a + 1; }\nlet y = null, z = true;\nclass A extends B { constructor() { this.v = /re/g; } }\n",
 'python': "import os\ndef f(x, y=2):\n    \"\"\"doc\"\"\"\n    if x is None: return True\n    return [i * 2 for i in range(10)]  # c\nclass C(object):\n    pass\n",
 'go': "package main\nimport \"fmt\"\nfunc main() {\n\tvar x int = 42\n\tfmt.Println(\"hi\", x) // c\n}\n",
 'json': "{\"a\": 1, \"b\": [true, null, \"s\"], \"c\": {\"d\": 2.5}}\n",
 'dockerfile': "FROM alpine:3.12\nRUN apk add --no-cache curl\nCOPY . /app\nCMD [\"sh\", \"-c\", \"echo hi\"]\n",
}
blocks = list(blocks.items())
if '--from' in sys.argv:
    import glob
    seen, blocks = set(), []
    root = sys.argv[sys.argv.index('--from') + 1]
    for f in sorted(glob.glob(os.path.join(root, '**', '*.md'), recursive=True)):
        text = open(f, encoding='utf-8', errors='replace').read()
        for m in re.finditer(r'^([ \t]*)```([A-Za-z]+)[ \t]*\n(.*?)^[ \t]*```[ \t]*$', text, re.S | re.M):
            lang, indent = m.group(2), len(m.group(1))
            if lang not in ('json', 'go', 'python', 'css', 'javascript', 'ruby', 'yaml', 'bash', 'dockerfile'):
                continue
            code = ''.join(l[indent:] if l[:indent].isspace() else l for l in m.group(3).splitlines(True))
            # remark's `` ` `` spans and HTML in a block are not colouring
            if (lang, code) in seen or '`' in code or '<' in code or '&' in code or '@@' in code or '{{' in code:
                continue
            seen.add((lang, code))
            blocks.append((lang, code))
md = "\n---\n".join(f"```{l}\n{c}```" for l, c in blocks)
open(os.path.join(work, 'code.md'), 'w').write(md)
page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<textarea id="source">{html.escape(md)}</textarea>
<script src="remark.min.js"></script>
<script>var s = remark.create();
var out = [];
document.querySelectorAll('.remark-slide-content pre code').forEach(function (c) {{ out.push(c.innerHTML); }});
var pre = document.createElement('pre'); pre.id = 'oracle-out'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script></body></html>"""
open(os.path.join(work, 'code.html'), 'w').write(page)
dom = subprocess.run(['chromium','--headless','--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--no-first-run','--virtual-time-budget=3000','--dump-dom','file://' + os.path.join(work, 'code.html')],capture_output=True,text=True).stdout
remark = json.loads(html.unescape(re.search(r'<pre id="oracle-out">(.*?)</pre>', dom, re.S).group(1)))
subprocess.run([labdeck_bin, 'build', '-q', '-o', os.path.join(work, 'out'), os.path.join(work, 'code.md')], check=True)
lp = open(os.path.join(work, 'out', 'code.html')).read()
script = re.search(r'<script type="text/x-labdeck-slides">(.*?)</script>', lp, re.S).group(1)
script = re.sub(r'<\\([\\/!])', r'<\1', script)
fields = script.split('<\\-')
labdeck = []
for i in range(len(fields)//4):
    inner = fields[4*i+2]
    m = re.search(r'<pre><code[^>]*>(.*?)</code></pre>', inner, re.S)
    labdeck.append(m.group(1) if m else '')

class P(HTMLParser):
    def __init__(s): super().__init__(); s.stack=[]; s.out=[]; s.lines=0
    def handle_starttag(s, t, a):
        c = dict(a).get('class','') or ''
        if t=='div' and 'remark-code-line' in c:
            if s.lines: s.out.append(('\n', '')) 
            s.lines+=1
        s.stack.append(' '.join(x for x in c.split() if x.startswith('hljs-')))
    def handle_endtag(s, t):
        if s.stack: s.stack.pop()
    def handle_data(s, d):
        cls = next((x for x in reversed(s.stack) if x), '')
        for ch in d: s.out.append((ch, cls))
def chars(h):
    p = P(); p.feed(h); return [x for x in p.out if x[0] != '\n' and not x[0].isspace()]
totals, diffs = {}, {}
# remark's presenter preview holds copies of slides, after the slides
remark = remark[:len(blocks)]
if len(remark) != len(blocks) or len(labdeck) != len(blocks):
    raise SystemExit(f"{len(blocks)} blocks, remark shows {len(remark)}, labdeck {len(labdeck)}")
for (lang,_), r, l in zip(blocks, remark, labdeck):
    a, b = chars(r), chars(l)
    if ''.join(c for c,_ in a) != ''.join(c for c,_ in b):
        print(lang, 'TEXT DIFFERS'); print(r[:300]); print(l[:300]); continue
    same, total = totals.get(lang, (0, 0))
    totals[lang] = (same + sum(1 for x,y in zip(a,b) if x[1]==y[1]), total + len(a))
    for x,y in zip(a,b):
        if x[1]!=y[1]: diffs.setdefault(lang, {}).setdefault((x[1],y[1]), []).append(x[0])
for lang, (same, total) in totals.items():
    print(f"{lang}: {same}/{total} non-space characters with highlight.js's class ({100*same/max(total,1):.0f}%)")
    if '-v' in sys.argv:
        for k,v in diffs.get(lang, {}).items(): print('   remark', k[0] or '-', 'labdeck', k[1] or '-', repr(''.join(v)[:60]))
shutil.rmtree(work)
