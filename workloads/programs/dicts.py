# dicts.py - the program suite's Python workload (programs.list): dicts,
# lists, strings and JSON, the allocation-heavy core of many Python
# programs.  Run with PYTHONMALLOC=malloc, or CPython's own small-object
# allocator (pymalloc) serves most of these objects and the allocator under
# test sees little.  Deterministic: a seeded generator, sorted output.
import json
import random

rng = random.Random(42)
words = ["alloc", "free", "heap", "block", "arena", "slab", "buddy", "chunk", "page", "bin"]

index = {}
for i in range(50000):
    key = "%s-%d" % (rng.choice(words), rng.randint(0, 50000))
    rec = index.setdefault(key, {"count": 0, "ids": [], "tags": set()})
    rec["count"] += 1
    rec["ids"].append(i)
    rec["tags"].add(rng.choice(words))

docs = [{"key": k, "count": v["count"], "ids": v["ids"][:8], "tags": sorted(v["tags"])}
        for k, v in sorted(index.items())]
text = json.dumps(docs)
back = json.loads(text)
by_tag = {}
for d in back:
    for t in d["tags"]:
        by_tag.setdefault(t, []).append(d["key"])
for t in sorted(by_tag):
    keys = sorted(by_tag[t], key=lambda k: (len(k), k))
    print(t, len(keys), keys[0], keys[-1])
print(len(text), sum(d["count"] for d in back))
