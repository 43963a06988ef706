#!/usr/bin/env python3
"""webui-html.py MODE FILE -- reads a page of nprof's web UI (or -top's text with MODE
toptext) and prints what tests/webui.sh compares, one item a line:
  toprows   the Top table's rows as "flat flat% sum% cum cum% name" (cell texts unescaped)
  toptext   the same rows from -top's text output
  pre ID    the text of <pre id=ID>, unescaped
  names     every data-name attribute, unescaped"""
import html
import re
import sys


def main():
    mode, path = sys.argv[1], sys.argv[2]
    text = open(path, encoding='utf-8', errors='replace').read()
    if mode == 'toprows':
        for row in re.findall(r'<tr><td.*?</tr>', text):
            cells = [html.unescape(c) for c in re.findall(r'<td[^>]*>(.*?)</td>', row)]
            print(' '.join(cells))
    elif mode == 'toptext':
        rows = False
        for line in text.split('\n'):
            if rows and line:
                print(' '.join(line.split(None, 5)))
            rows = rows or line.endswith('cum%')
    elif mode == 'pre':
        m = re.search(r'<pre id="%s">(.*?)</pre>' % re.escape(sys.argv[3]), text, re.S)
        sys.stdout.write(html.unescape(m.group(1)) if m else '')
    elif mode == 'names':
        for n in re.findall(r'data-name="([^"]*)"', text):
            print(html.unescape(n))


main()
