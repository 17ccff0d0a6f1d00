#!/bin/sh
# inputs.sh - generate the program suite's inputs (programs.list) into data/,
# deterministically: the same files, byte for byte, on every machine with the
# same tools.  Run at first use by `make programs`; does nothing when
# data/.complete is there.  Too large to commit, so data/ is ignored by git.
set -eu
cd "$(dirname "$0")"
[ -f data/.complete ] && exit 0
rm -rf data
mkdir -p data

# text for xz and sort, a JSON document for jq: from a seeded generator
python3 - <<'PY'
import json, random
rng = random.Random(17)
words = ["alloc", "free", "heap", "block", "arena", "slab", "buddy", "chunk", "page", "bin",
         "split", "merge", "coalesce", "fit", "tag", "list", "tree", "lock", "thread", "cache"]
with open("data/lines.txt", "w") as f:
    for i in range(600000):
        n = rng.randint(2, 9)
        f.write(" ".join(rng.choice(words) + str(rng.randint(0, 999)) for _ in range(n)))
        f.write("\n")
docs = []
for i in range(60000):
    docs.append({
        "id": i,
        "name": rng.choice(words) + "-" + str(rng.randint(0, 99999)),
        "size": rng.randint(1, 1 << 20),
        "tags": [rng.choice(words) for _ in range(rng.randint(0, 6))],
        "owner": {"team": rng.choice(words), "level": rng.randint(1, 5)},
    })
with open("data/doc.json", "w") as f:
    json.dump(docs, f)
PY
head -c 3000000 data/lines.txt > data/text.txt
xz -3 -T1 -c data/lines.txt > data/lines.txt.xz

# a git repository of 800 commits (fixed authors and dates), through
# git fast-import: one process instead of thousands
python3 - <<'PY' > data/repo.fi
import random, sys
rng = random.Random(29)
lines = open("data/lines.txt").read().splitlines()
files = {}
out = sys.stdout
for c in range(800):
    out.write("commit refs/heads/main\n")
    out.write("mark :%d\n" % (c + 1))
    out.write("committer heaplab <heaplab@example.org> %d +0000\n" % (1700000000 + 3600 * c))
    msg = "change %d\n" % c
    out.write("data %d\n%s" % (len(msg), msg))
    if c:
        out.write("from :%d\n" % c)
    for _ in range(3):
        name = "dir%d/file%d.txt" % (rng.randint(0, 19), rng.randint(0, 9))
        body = files.get(name, [])
        start = rng.randint(0, len(lines) - 40)
        at = rng.randint(0, len(body))
        body = body[:at] + lines[start:start + rng.randint(5, 40)] + body[at + rng.randint(0, 10):]
        files[name] = body
        text = "\n".join(body) + "\n"
        out.write("M 100644 inline %s\ndata %d\n%s" % (name, len(text.encode()), text))
    out.write("\n")
PY
git init -q -b main data/repo
git -C data/repo fast-import --quiet < data/repo.fi
rm data/repo.fi
touch data/.complete
