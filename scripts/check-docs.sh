#!/usr/bin/env bash
# Lists every public/open declaration in the library targets that has no `///` (or `/** */`)
# doc comment directly above it, and exits 1 if there is any. Attribute lines (`@inlinable`,
# `@inline(__always)`, `@discardableResult`, ...) may sit between the comment and the
# declaration; a blank line may not (house style keeps the comment adjacent). Implicitly public
# members count too: enum cases of a public enum, requirements of a public protocol, members of
# a `public extension`.
#
# Usage: scripts/check-docs.sh [directory-or-file ...]
#   With no arguments, checks Sources/Kernels and Sources/Hogwild of this repository (from any
#   working directory); arguments are taken relative to the current directory.
#   CHECK_DOCS_LIST=1 lists every declaration checked (file:line) instead, and exits 0.
set -euo pipefail
if [ "$#" -eq 0 ]; then
    cd "$(dirname "$0")/.."
    set -- Sources/Kernels Sources/Hogwild
fi

exec python3 - "$@" <<'PY'
import os, re, sys

STRING_START = re.compile(r'(#*)("""|")')

def code_lines(text):
    """Each source line with comments removed and string literal contents blanked, so braces and
    keywords are only seen in code. Handles nested block comments, escapes, `\\(...)`
    interpolation, multi-line (\"\"\") and raw (#\"...\"#) strings."""
    out, cur = [], []
    i, n = 0, len(text)
    # Stack of lexer modes: ('code', paren_depth) inside interpolation, ('str', hashes, multiline).
    stack = [('code', 0)]
    block = 0
    while i < n:
        c = text[i]
        if c == '\n':
            out.append(''.join(cur)); cur = []
            i += 1
            if block == 0 and stack[-1][0] == 'str' and not stack[-1][2]:
                stack.pop()  # unterminated single-line string: recover
            continue
        if block:
            if text.startswith('/*', i): block += 1; i += 2
            elif text.startswith('*/', i): block -= 1; i += 2
            else: i += 1
            continue
        mode = stack[-1]
        if mode[0] == 'str':
            _, hashes, multi = mode
            close = ('"""' if multi else '"') + '#' * hashes
            esc = '\\' + '#' * hashes
            if text.startswith(esc + '(', i):
                stack.append(('code', 0)); cur.append('S'); i += len(esc) + 1
            elif text.startswith(esc, i):
                i += len(esc) + 1
            elif text.startswith(close, i):
                stack.pop(); cur.append('"'); i += len(close)
            else:
                i += 1
            continue
        # code
        if text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
            continue
        if text.startswith('/*', i):
            block = 1; i += 2; continue
        m = STRING_START.match(text, i) if c in '"#' else None
        if m:
            hashes = len(m.group(1)); multi = m.group(2) == '"""'
            stack.append(('str', hashes, multi)); cur.append('"'); i = m.end()
            continue
        if len(stack) > 1:  # inside interpolation
            if c == '(':
                stack[-1] = ('code', mode[1] + 1)
            elif c == ')':
                if mode[1] == 0:
                    stack.pop(); i += 1; continue
                stack[-1] = ('code', mode[1] - 1)
        cur.append(c); i += 1
    out.append(''.join(cur))
    return out

MODIFIERS = (r'(?:public|open|internal|private|fileprivate|package|final|static|class|override|'
             r'mutating|nonmutating|nonisolated|indirect|convenience|required|lazy|weak|unowned|'
             r'dynamic|optional|consuming|borrowing|(?:private|fileprivate|internal|package)\(set\))')
DECL = (r'(?:func|var|let|init[?!]?|subscript|struct|class|enum|protocol|typealias|actor|case|'
        r'extension|associatedtype|deinit|macro|operator|precedencegroup)')
ATTR = r'@[A-Za-z_]\w*(?:\([^()]*\))?'
DECL_RE = re.compile(rf'^\s*((?:{ATTR}\s+)*)((?:{MODIFIERS}\s+)*){DECL}\b')
ATTR_ONLY_RE = re.compile(rf'^\s*(?:{ATTR}\s*)+$')

checked = []

def check(path):
    raw = open(path, encoding='utf-8').read().split('\n')
    code = code_lines('\n'.join(raw))
    missing = []
    # Brace stack: for each open `{`, the kind of scope: 'pubenum', 'pubproto', 'pubext', or 'other'.
    scopes = []
    head = ''  # code since the last ; { }  (the statement that a `{` opens)
    for ln, line in enumerate(code):
        m = DECL_RE.match(line)
        if m:
            words = set(re.findall(r'\w+', m.group(2)))
            decl = re.match(r'\s*\w+', line[m.end(2):]).group(0).strip()
            inner = scopes[-1] if scopes else 'file'
            explicit = bool(words & {'public', 'open'})
            restricted = bool(words & {'private', 'fileprivate', 'internal', 'package'})
            implicit = ((inner == 'pubenum' and decl == 'case') or inner == 'pubproto'
                        or (inner == 'pubext' and not restricted and decl != 'case'))
            # `public extension` adds no documentable symbol itself; its members are checked.
            if (explicit or implicit) and decl != 'extension':
                checked.append((path, ln + 1))
                if not documented(raw, code, ln):
                    missing.append((ln + 1, raw[ln].strip()))
        for ch in line:
            if ch == '{':
                # The scope's kind comes from the last declaration that starts in its head.
                starts = [DECL_RE.match(l) for l in head.split('\n')]
                starts = [d for d in starts if d]
                kind = 'other'
                if starts:
                    d = starts[-1]
                    pub = bool(set(re.findall(r'\w+', d.group(2))) & {'public', 'open'})
                    keyword = re.match(r'\s*\w+', d.string[d.end(2):]).group(0).strip()
                    if pub and keyword == 'enum': kind = 'pubenum'
                    elif pub and keyword == 'protocol': kind = 'pubproto'
                    elif pub and keyword == 'extension': kind = 'pubext'
                scopes.append(kind); head = ''
            elif ch == '}':
                if scopes: scopes.pop()
                head = ''
            elif ch == ';':
                head = ''
            else:
                head += ch
        head += '\n'
    return missing

def documented(raw, code, ln):
    j = ln - 1
    while j >= 0 and ATTR_ONLY_RE.match(code[j]) and code[j].strip():
        j -= 1
    if j < 0: return False
    prev = raw[j].strip()
    if prev.startswith('///'): return True
    if prev.endswith('*/'):
        # Find the start of this block comment; it must be a `/**` doc comment.
        k = j
        while k >= 0 and '/*' not in raw[k]: k -= 1
        return k >= 0 and raw[k].lstrip().startswith('/**')
    return False

files = []
for arg in sys.argv[1:]:
    if os.path.isdir(arg):
        for root, _, names in os.walk(arg):
            files += [os.path.join(root, f) for f in names if f.endswith('.swift')]
    else:
        files.append(arg)
total = 0
if os.environ.get('CHECK_DOCS_LIST'):
    for f in sorted(files):
        check(f)
    for f, ln in checked: print(f'{f}:{ln}')
    sys.exit(0)
for f in sorted(files):
    for ln, text in check(f):
        print(f'{f}:{ln}: undocumented: {text}')
        total += 1
if total:
    print(f'check-docs: {total} of {len(checked)} public declarations have no /// doc comment', file=sys.stderr)
    sys.exit(1)
print(f'check-docs: all {len(checked)} public declarations in {len(files)} files have a doc comment')
PY
