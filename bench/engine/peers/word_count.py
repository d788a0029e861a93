import sys

counts = {}
for line in sys.stdin:
    line = line.rstrip("\n").lower()
    for word in line.split(" "):
        if word == "":
            continue
        counts[word] = counts.get(word, 0) + 1
print("distinct: %d" % len(counts))
for w in ["the", "and", "of", "to", "a"]:
    print("%s: %d" % (w, counts.get(w, 0)))
