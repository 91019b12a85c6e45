"""Every shell example in README.md and docs/*.md, run as written.

    test_examples.py SOURCE_DIR BUILD_DIR

An example is a `$ command` line in a code block, with the output the page
shows under it (up to the next `$` line or the end of the block).  Its
command names the shipped configuration it talks to in a comment
(`# conf/examples/greet.conf`); the test starts that configuration with
modserv on a free port (a unix socket in a folder of its own), puts the
real port into the command and compares what the command prints with the
page.  On an output line, a comment (two spaces, then `#`) is not output:
`# typed: TEXT` says the line ends with TEXT typed and Enter, sent once
the output before it came; `# N varies` matches the figure N as any
number.  A line `^C` is Ctrl-C; at the end the command's input is closed
(Ctrl-D).  `...` stands for any text.  Times and the ident module's worker
names are matched as patterns.  A block after `<!-- illustration -->` is
not run (the next block after it); any other `$` line without a
configuration fails the test.  A block after `<!-- modserv -t: saved in
conf/ -->` is a configuration, checked with `modserv -t` as a file in that
folder.

A table after `<!-- figures from benchmarks.md: "2 workers vs 1" -->`
quotes docs/benchmarks.md (which scripts/bench.sh writes): each row's
figures must be in the benchmarks row its first cell names ("select, 50":
the row "select 2 workers vs 1" with 50 connections).
"""
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from operator_mode import service_user  # noqa: E402

SOURCE, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
MODSERV = os.path.join(BUILD, "modserv")
ILLUSTRATION = "illustration"
SAVED_IN = "modserv -t: saved in "  # a configuration checked as that file
WAIT = 20  # seconds for any one step; slow under a sanitizer
# what varies from run to run, as the page shows it and as a pattern
VARYING = [
    r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}",  # ctime, daytime's stamp
    r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}",  # date -R
    r"(?:Thread|Process|Loop)-\d+",  # ident's worker
]


class Example:
    def __init__(self, page, line, command):
        self.page, self.line, self.command = page, line, command
        self.steps = []  # (regex of all the output before it, text typed)
        self.out = ""  # the regex of all the output so far
        self.interrupt = False

    def where(self):
        return f"{os.path.relpath(self.page, SOURCE)}:{self.line}"


def comment_of(text):
    """A line's text and its comment (after two blanks and #), or None."""
    m = re.match(r"^(.*?)\s{2,}#\s?(.*)$", text)
    return (m.group(1), m.group(2)) if m else (text, None)


def pattern_of(text, varies):
    """The regex that text as the page shows it stands for."""
    if text == "...":
        return r"(?:.*\n)?"
    out, rest = "", text
    alts = VARYING + [re.escape(v) for v in varies]
    while rest:
        m = re.search("|".join(f"(?:{a})" for a in alts + [r"\.\.\."]),
                      rest)
        if not m:
            return out + re.escape(rest)
        out += re.escape(rest[:m.start()])
        hit = m.group(0)
        if hit == "...":
            out += ".*?"
        elif hit in varies:
            out += r"\d+"
        else:
            out += next(a for a in VARYING if re.fullmatch(a, hit))
        rest = rest[m.end():]
    return out


def add_output(ex, text):
    """One output line of ex: what it shows, typed or not."""
    if text == "^C":
        ex.interrupt = True
        return
    shown, note = comment_of(text)
    typed, varies = None, []
    for part in (note.split("; ") if note is not None else []):
        if part.startswith("typed: "):
            typed = part[len("typed: "):]
        elif re.match(r"^\d+ varies", part):
            varies.append(part.split()[0])
    if typed is None:
        ex.out += pattern_of(shown, varies) + ("" if shown == "..." else
                                               r"\n")
        return
    if not shown.endswith(typed):
        raise ValueError(f"{ex.page}: \"{shown}\" does not end with what "
                         f"its comment says is typed, \"{typed}\"")
    ex.out += pattern_of(shown[:len(shown) - len(typed)], varies)
    ex.steps.append((ex.out, typed + "\n"))


def blocks(page):
    """(line number, lines, marker) of each code block of page, the marker
    the text of an HTML comment on a line of its own before it, or None."""
    lines = open(page, encoding="utf-8").read().split("\n")
    i, marked = 0, None
    while i < len(lines):
        text = lines[i]
        m = re.fullmatch(r"<!--\s*(.*?)\s*-->", text.strip())
        if m:
            marked = m.group(1)
        if text.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            yield i + 2, lines[i + 1:j], marked
            i, marked = j + 1, None
            continue
        if text.startswith("    ") and (i == 0 or lines[i - 1] == ""):
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or
                                      lines[j] == ""):
                j += 1
            body = [t[4:] for t in lines[i:j]]
            while body and body[-1] == "":
                body.pop()
            yield i + 1, body, marked
            i, marked = j, None
            continue
        i += 1


def examples(page):
    for first, body, marker in blocks(page):
        illustration = marker == ILLUSTRATION
        ex = None
        for k, text in enumerate(body):
            if text.startswith("$ "):
                if ex:
                    yield ex, illustration
                ex = Example(page, first + k, text[2:])
            elif ex:
                add_output(ex, text)
        if ex:
            yield ex, illustration


def relocated(text, conf):
    """text as the file conf would read, to be saved elsewhere: the paths
    relative to conf's folder made absolute (build/ the real build folder),
    the services' user ours."""
    text = re.sub(r'user\s*=\s*"[^"]*"', f'user = "{service_user()}"', text)

    def absolute(m):
        path = os.path.normpath(os.path.join(os.path.dirname(conf),
                                             m.group(1)))
        if path == SOURCE + "/build" or path.startswith(SOURCE + "/build/"):
            path = BUILD + path[len(SOURCE + "/build"):]
        return f'"{path}"'

    return re.sub(r'"(\.\.?/[^"]*)"', absolute, text)


def checked_configurations(page):
    """modserv -t on each configuration the page marks to be checked as a
    file saved in a folder of the repository: a list of complaints."""
    wrong = []
    for first, body, marker in blocks(page):
        if not (marker or "").startswith(SAVED_IN):
            continue
        conf = os.path.join(SOURCE, marker[len(SAVED_IN):], "example.conf")
        where = f"{os.path.relpath(page, SOURCE)}:{first}"
        with tempfile.TemporaryDirectory() as folder:
            copy = os.path.join(folder, "example.conf")
            open(copy, "w", encoding="utf-8").write(
                relocated("\n".join(body) + "\n", conf))
            r = subprocess.run([MODSERV, "-t", "-c", copy], timeout=WAIT,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        print(f"{where}: modserv -t: "
              f"{'ok' if r.returncode == 0 else 'FAILED: ' + r.stdout}")
        if r.returncode != 0:
            wrong.append(where)
    return wrong


def start(conf, folder):
    """Starts conf's copy in folder on free ports: the process, and the
    documented ports or paths with what replaced them."""
    text = open(conf, encoding="utf-8").read()
    swaps = {}

    def free(m):
        key, value = m.group(1), m.group(2)
        name = re.findall(r'name\s*=\s*"([^"]+)"', m.string[:m.start()])[-1]
        if value.startswith("/") or not re.search(r":\d+$", value):
            new = os.path.join(folder, f"{len(swaps)}.sock")
        else:
            new = re.sub(r":\d+$", ":0", value)
        swaps[value] = (name, new)
        return f'{key}"{new}"'

    text = relocated(re.sub(r'(listen\s*=\s*)"([^"]*)"', free, text), conf)
    rel = os.path.relpath(conf, SOURCE)
    copy = os.path.join(folder, os.path.basename(conf))
    open(copy, "w", encoding="utf-8").write(text)
    log = open(os.path.join(folder, "modserv.log"), "a+")
    p = subprocess.Popen([MODSERV, "-c", copy], stderr=log)
    deadline, bound = time.time() + WAIT, {}
    while len(bound) < len(swaps) and time.time() < deadline:
        if p.poll() is not None:
            break
        log.seek(0)
        bound = dict(re.findall(r"(\S+): listening on \S+ (\S+)",
                                log.read()))
        time.sleep(0.05)
    if len(bound) < len(swaps):
        p.kill()
        p.wait()
        log.seek(0)
        raise RuntimeError(f"{rel} did not start:\n{log.read()}")
    ports = {}
    for old, (name, new) in swaps.items():
        if new.endswith(":0"):
            ports[old.rsplit(":", 1)[1]] = bound[name].rsplit(":", 1)[1]
        else:
            ports[old] = new
    return p, ports


def read_until(p, got, regex, deadline):
    """Reads p's output into got until regex matches all of it."""
    while not re.fullmatch(regex, got[0].replace("\r\n", "\n"), re.S):
        left = deadline - time.time()
        if left <= 0 or not select.select([p.stdout], [], [], left)[0]:
            return False
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            return re.fullmatch(regex, got[0].replace("\r\n", "\n"), re.S)
        got[0] += chunk.decode("utf-8", "replace")
    return True


def run(ex, ports):
    """Runs ex with the ports it names replaced: None, or what differs."""
    command = ex.command
    for old, new in ports.items():
        command = re.sub(rf"(?<![\w/.]){re.escape(old)}(?![\w/])", new,
                         command)
    env = dict(os.environ, PYTHONUNBUFFERED="1",
               PATH=f"{BUILD}:{os.environ.get('PATH', '')}")
    p = subprocess.Popen(["bash", "-c", command], cwd=SOURCE, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    got = [""]
    try:
        for before, typed in ex.steps:
            if not read_until(p, got, before, time.time() + WAIT):
                return f"before typing {typed!r}, the output was {got[0]!r}"
            p.stdin.write(typed.encode())
            p.stdin.flush()
        # a last line may end without a line ending
        whole = re.sub(r"(\\n)?$", r"\\n?", ex.out, count=1)
        if ex.interrupt:
            if not read_until(p, got, whole, time.time() + WAIT):
                return f"before Ctrl-C, the output was {got[0]!r}"
            os.killpg(p.pid, signal.SIGINT)
        else:
            p.stdin.close()
        read_until(p, got, "(?!)", time.time() + WAIT)  # to its end
        p.wait(timeout=WAIT)
        if not re.fullmatch(whole, got[0].replace("\r\n", "\n"), re.S):
            return f"the output was {got[0]!r}"
        return None
    except subprocess.TimeoutExpired:
        return f"it did not end; the output was {got[0]!r}"
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def try_example(ex):
    m = re.search(r"#\s*((?:conf/)\S+\.conf)", ex.command)
    if not m:
        return ("names no shipped configuration (a comment "
                "\"# conf/...\") and is not marked <!-- illustration -->")
    with tempfile.TemporaryDirectory() as folder:
        p, ports = start(os.path.join(SOURCE, m.group(1)), folder)
        try:
            return run(ex, ports)
        finally:
            p.terminate()
            try:
                p.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


QUOTED = re.compile(r'<!-- figures from benchmarks\.md: "([^"]+)" -->')


def quoted_figures(page):
    """What differs between a table the page quotes from benchmarks.md
    (marked so) and benchmarks.md's rows: a list of complaints."""
    lines = open(page, encoding="utf-8").read().split("\n")
    rows = [[c.strip() for c in t.strip("|").split("|")]
            for t in open(os.path.join(SOURCE, "docs", "benchmarks.md"),
                          encoding="utf-8").read().split("\n")
            if t.startswith("| ")]
    wrong, marker = [], None
    for n, text in enumerate(lines, 1):
        m = QUOTED.search(text)
        if m:
            marker = m.group(1)
        elif marker and text.startswith("| ") and "---" not in text:
            cells = [c.strip() for c in text.strip("|").split("|")]
            model, _, conns = cells[0].partition(", ")
            if not conns.isdigit():
                continue  # the header
            row = next((r for r in rows if len(r) > 2 and r[2] == conns and
                        r[0] == f"{model} {marker}"), None)
            figures = re.findall(r"\d[\d,]*(?:\.\d+)?", " ".join(cells[1:]))
            if row is None:
                wrong.append(f"{os.path.relpath(page, SOURCE)}:{n}: no row "
                             f"\"{model} {marker}\", {conns} in benchmarks.md")
                continue
            for f in figures:
                if f.replace(",", "") not in row:
                    wrong.append(f"{os.path.relpath(page, SOURCE)}:{n}: {f} "
                                 f"is not in benchmarks.md's row {row[:4]}")
        elif marker and not text.startswith("|") and text.strip():
            marker = None
    return wrong


def main():
    pages = [os.path.join(SOURCE, "README.md")] + sorted(
        os.path.join(SOURCE, "docs", f)
        for f in os.listdir(os.path.join(SOURCE, "docs"))
        if f.endswith(".md"))
    failed = ran = 0
    for page in pages:
        for ex, illustration in examples(page):
            if illustration:
                print(f"{ex.where()}: illustration, not run")
                continue
            ran += 1
            why = try_example(ex)
            print(f"{ex.where()}: $ {ex.command}: "
                  f"{'ok' if why is None else 'FAILED: ' + why}")
            failed += why is not None
    for page in pages:
        failed += len(checked_configurations(page))
        for why in quoted_figures(page):
            print(why)
            failed += 1
    print(f"{ran} examples run; {failed} failed or quoted wrong")
    return 1 if failed or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
