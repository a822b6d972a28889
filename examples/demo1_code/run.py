"""Demo task: average fortune of the people in the data set.

Usage: python run.py <data path>
<data path> is a folder of *.json files (or a single .json file), each a person like
{"name": "Alice", "fortune": 100000000000}.
Prints: Average fortune: X of N people
"""
import json
import os
import sys


def person_files(path):
    if os.path.isdir(path):
        return sorted(
            os.path.join(path, name)
            for name in os.listdir(path)
            if name.endswith(".json") and os.path.isfile(os.path.join(path, name))
        )
    return [path]


def main(argv):
    if len(argv) != 2:
        print("usage: run.py <data path>", file=sys.stderr)
        return 2
    fortunes = []
    for file_name in person_files(argv[1]):
        with open(file_name, encoding="utf-8") as f:
            person = json.load(f)
        fortunes.append(person["fortune"])
    if not fortunes:
        print("no people found in " + argv[1], file=sys.stderr)
        return 1
    average = sum(fortunes) / len(fortunes)
    print("Average fortune: {} of {} people".format(average, len(fortunes)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
