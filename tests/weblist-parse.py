#!/usr/bin/env python3
"""weblist-parse.py PAGE [--pprof]: a -weblist page as text, one row per function header
("F name|file|flat|cum"), source line ("L line|flat|cum") and instruction ("I addr|flat|cum"),
from nprof's page or (--pprof) from go tool pprof's. Checks that nprof's page is well formed
HTML (every element closed in order, no script but its own) and that each line's instruction
values sum to the line's values, each function's lines to its totals (exit 1 otherwise)."""
import html.parser, re, sys

UNITS = {'ns': 1e-9, 'us': 1e-6, 'µs': 1e-6, 'ms': 1e-3, 's': 1, 'min': 60, 'hrs': 3600,
         'B': 1, 'kB': 1024, 'MB': 1024**2, 'GB': 1024**3, 'TB': 1024**4}

def num(t):
    """A value as text to a number (pprof's units), '.' as 0."""
    if t == '.':
        return 0.0
    m = re.fullmatch(r'(-?[0-9.e+]+)([a-zµA-Z]*)', t)
    return float(m.group(1)) * UNITS.get(m.group(2), 1)

def parse_pprof(page):
    rows = []
    for m in re.finditer(r'<h2>(.*?)</h2><p class="filename">(.*?)</p>\n<pre[^>]*>\n  Total: +(\S+) +(\S+)', page):
        rows.append(('F', html.unescape(m.group(1)), html.unescape(m.group(2)), m.group(3), m.group(4)))
        pre = page[m.end():page.index('</pre>', m.end())]
        for ln in pre.split('\n'):
            l = re.match(r'<span class=line> +(\d+)</span> <span class=\w+> +(\S+) +(\S+)', ln)
            if l:
                rows.append(('L',) + l.groups())
                ln = ln[ln.find('<span class=asm>') + 16:] if '<span class=asm>' in ln else ''
            i = re.match(r' +(\S+) +(\S+) +([0-9a-f]+): ', ln)
            if i:
                rows.append(('I', i.group(3), i.group(1), i.group(2)))
    return rows

class Page(html.parser.HTMLParser):
    VOID = {'meta', 'br', 'img', 'link', 'hr', 'input'}
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.rows, self.cell, self.cells, self.kind, self.scripts = [], [], None, [], None, 0
        self.head = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == 'script':
            self.scripts += 1
        if tag in ('h2', 'p', 'td'):
            self.cell = ''
        if tag == 'tr':
            self.cells, self.kind = [], a.get('class', '')
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()
        if tag == 'h2':
            self.head = [self.cell]
        if tag == 'p' and self.head is not None and len(self.head) == 1:
            self.head.append(self.cell)
        if tag == 'td':
            self.cells.append(self.cell)
        if tag == 'tr' and self.kind == 'total':
            self.rows.append(('F', self.head[0], self.head[1], self.cells[1], self.cells[2]))
        elif tag == 'tr' and self.kind == 'line':
            self.rows.append(('L', self.cells[0], self.cells[1], self.cells[2]))
        elif tag == 'tr' and self.kind == 'asm':
            self.rows.append(('I', self.cells[3], self.cells[1], self.cells[2]))
        if tag in ('h2', 'p', 'td'):
            self.cell = None
    def handle_data(self, d):
        if self.cell is not None:
            self.cell += d

def sums_ok(rows):
    """Each line's instructions sum to the line; each function's lines to its totals."""
    bad = []
    fn = line = None
    def close_line():
        if line and line[3]:
            f, c = sum(num(x[0]) for x in line[3]), sum(num(x[1]) for x in line[3])
            if abs(f - num(line[1])) > 0.01 * max(1, f) or abs(c - num(line[2])) > 0.01 * max(1, c):
                bad.append('line %s: %s %s, instructions %g %g' % (line[0], line[1], line[2], f, c))
    def close_fn():
        if fn:
            f, c = sum(num(x[0]) for x in fn[4]), sum(num(x[1]) for x in fn[4])
            if abs(f - num(fn[2])) > 0.01 * max(1, f) or abs(c - num(fn[3])) > 0.01 * max(1, c):
                bad.append('%s: %s %s, lines %g %g' % (fn[0], fn[2], fn[3], f, c))
    for r in rows:
        if r[0] == 'F':
            close_line(); close_fn()
            fn, line = [r[1], r[2], r[3], r[4], []], None
        elif r[0] == 'L':
            close_line()
            line = [r[1], r[2], r[3], []]
            fn[4].append((r[2], r[3]))
        else:
            line[3].append((r[2], r[3]))
    close_line(); close_fn()
    return bad

def main():
    page = open([a for a in sys.argv[1:] if a != '--pprof'][0], encoding='utf-8').read()
    if '--pprof' in sys.argv:
        rows = parse_pprof(page)
    else:
        p = Page()
        p.feed(page)
        p.close()
        assert not p.stack, p.stack
        assert page.startswith('<!DOCTYPE html>') and p.scripts == 1, 'one script, our own'
        rows = p.rows
    for r in rows:
        print(' '.join([r[0], '|'.join(r[1:])]))
    bad = sums_ok(rows)
    for b in bad:
        print('BAD', b, file=sys.stderr)
    sys.exit(1 if bad else 0)

main()
