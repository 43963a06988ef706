#!/usr/bin/env python3
"""manpages.py WHAT ARGS -- the names tests/manpages.sh compares, one a line, sorted.

Names in the code are read from the tables and calls that define them, so that a flag added
to a table counts at once:
  flags SRC           command-line flags: np_commands (driver.c), np_options and the choice
                      lists (config.c), source_flags and the names cli.c compares
  shell SRC           the interactive shell's commands (shell.c's tables and its own words)
  env DIR...          environment variables read by the C files under the folders
  endpoints SRC       /debug/pprof paths: the kinds table and the names endpoints.c serves
  params SRC          query parameters the endpoints read
  api HEADER          the nprof_* functions a header declares
Names in a page are those of its entry heads (the line after .TP) in one section:
  heads PAGE SECTION [flags|words]
"""
import os
import re
import sys


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def block(text, start):
    """The initialiser of the array whose definition contains start, up to its closing '};'."""
    i = text.find(start)
    if i < 0:
        sys.exit("manpages.py: no %s" % start)
    return text[i:text.index("};", i)]


def quoted_heads(text):
    return re.findall(r'\{\s*"([A-Za-z0-9_]+)"', text)


def flags(src):
    a = os.path.join(src, "analyze")
    names = set(quoted_heads(block(read(os.path.join(a, "driver.c")), "np_commands[] = {")))
    config = read(os.path.join(a, "config.c"))
    names |= set(quoted_heads(block(config, "np_options[] = {")))
    for _, body in re.findall(r"(\w+_choices)\[\]\s*=\s*\{([^}]*)\}", config):
        names |= set(re.findall(r'"([A-Za-z0-9_]+)"', body))
    cli = read(os.path.join(a, "cli.c"))
    names |= set(quoted_heads(block(cli, "source_flags[] = {")))
    names |= set(re.findall(r'strcmp\((?:nm|name),\s*"([A-Za-z0-9_]+)"\)', cli))
    return names


def shell(src):
    text = read(os.path.join(src, "analyze", "shell.c"))
    names = set(quoted_heads(block(text, "shell_cmds[] = {")))
    names |= set(quoted_heads(block(text, "extra_cmds[] = {")))
    names |= set(re.findall(r'strcmp\(tok\[0\],\s*"([^"]+)"\)', text))
    if re.search(r'strcmp\(in,\s*":"\)', text):
        names.add(":")
    return names


ENV_CALL = re.compile(r"\b\w*env\w*\s*\(((?:[^()]|\([^()]*\))*)\)")  # one level of nested parentheses
ENV_MACRO = re.compile(r'#define\s+\w*ENV\w*\s+"([A-Za-z_][A-Za-z0-9_]*)"')


def env(dirs):
    names = set()
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in files:
                if not f.endswith(".c"):
                    continue
                text = read(os.path.join(root, f))
                names |= set(ENV_MACRO.findall(text))
                for args in ENV_CALL.findall(text):
                    names |= set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', args))
    return names


def endpoints(src):
    c = os.path.join(src, "collect")
    kinds = read(os.path.join(c, "kinds.c"))
    names = set(quoted_heads(block(kinds, "kinds[] = {")))
    names |= set(re.findall(r'strcmp\(name,\s*"([a-z_]+)"\)', kinds))
    ep = read(os.path.join(c, "endpoints.c"))
    names |= set(re.findall(r'strcmp\(name,\s*"([a-z_]+)"\)', ep))
    return {"/debug/pprof/" + n for n in names} | {"/debug/pprof/"}


def params(src):
    names = set()
    for f in ("endpoints.c", "fanout.c"):
        p = os.path.join(src, "collect", f)
        if os.path.exists(p):
            names |= set(re.findall(r'(?:param_int|query_param)\(\s*req,\s*"([a-z_]+)"', read(p)))
    return names


def api(header):
    return set(re.findall(r"\b(nprof_\w+)\s*\(", read(header)))


def plain(line):
    """A roff line as text: escapes and fonts out, macro name dropped."""
    line = re.sub(r"\\f[BIRP]|\\f\(..|\\\||\\&", "", line)
    line = line.replace("\\-", "-").replace("\\e", "\\")
    return re.sub(r"^\.\w+\s*", "", line)


def heads(page, section, kind):
    names, cur, after_tp = set(), None, False
    for line in read(page).splitlines():
        m = re.match(r'\.SH\s+"?([^"]*)"?', line)
        if m:
            cur = m.group(1).strip()
            continue
        if line.startswith(".TP"):
            after_tp = True
            continue
        if not after_tp or cur != section:
            after_tp = False
            continue
        after_tp = False
        text = plain(line)
        if kind == "flags":
            names |= set(re.findall(r"(?<![\w/-])-([A-Za-z_][A-Za-z0-9_]*)", text))
        else:
            text = re.sub(r"\[[^]]*\]", " ", text)  # optional arguments are not names
            names |= {w for w in re.split(r'[\s",|()]+', text) if w and not w.startswith("-")}
    return names


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    what, args = argv[1], argv[2:]
    if what == "flags":
        out = flags(args[0])
    elif what == "shell":
        out = shell(args[0])
    elif what == "env":
        out = env(args)
    elif what == "endpoints":
        out = endpoints(args[0])
    elif what == "params":
        out = params(args[0])
    elif what == "api":
        out = api(args[0])
    elif what == "heads":
        out = heads(args[0], args[1], args[2] if len(args) > 2 else "words")
    else:
        sys.exit("manpages.py: unknown %s" % what)
    for n in sorted(out):
        print(n)


if __name__ == "__main__":
    main(sys.argv)
