#!/usr/bin/python3
"""Adds up the results of every test program of `make check` into one line:
'N passed, N failed' (cmocka unit tests, the pytest integration and e2e suites).

With --save, the counts also go to a JSON file (a run in a Debian root,
scripts/test); --add adds such a file's counts, one line per run first."""

import argparse
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

parser = argparse.ArgumentParser()
parser.add_argument("--distcheck", type=int, default=-1,
                    help="exit status of make distcheck (-1: not run)")
parser.add_argument("--package", type=int, default=-1,
                    help="exit status of tests/package/run (-1: not run, 77: skipped)")
parser.add_argument("--rpmspec", type=int, default=-1,
                    help="exit status of tests/package/rpmspec (-1: not run)")
parser.add_argument("--hardening", type=int, default=-1,
                    help="exit status of tests/run hardening (-1: not run); its junit.xml is summed")
parser.add_argument("--fuzz", type=int, default=-1,
                    help="exit status of the fuzz smoke, make fuzz (-1: not run, 77: skipped)")
parser.add_argument("--label", default="",
                    help="what ran, e.g. 'knot 3.2.6-1 (host)': a line of its own counts")
parser.add_argument("--save", help="write the counts and the label to this JSON file")
parser.add_argument("--add", action="append", default=[],
                    help="add the counts of another run (a --save file)")
parser.add_argument("--missing", action="append", default=[],
                    help="a run that left no results: counts as one failure")
parser.add_argument("--none", action="store_true",
                    help="read no results of this tree, only --add files")
args = parser.parse_args()

passed = failed = skipped = 0
for log in [] if args.none else sorted(glob.glob(os.path.join(ROOT, "tests/unit/*.log"))):
    text = open(log, errors="replace").read()
    trs = log[:-len(".log")] + ".trs"
    if os.path.exists(trs) and ":test-result: SKIP" in open(trs).read():
        print(f"{os.path.basename(log)}: skipped ({text.strip().splitlines()[0]})")
        skipped += 1
        continue
    p = re.findall(r"\[  PASSED  \] (\d+) test", text)
    f = re.findall(r"\[  FAILED  \] (\d+) test", text)
    if not p and not f:
        print(f"{os.path.basename(log)}: no cmocka result (crashed?)")
        failed += 1
        continue
    passed += sum(map(int, p))
    failed += sum(map(int, f))

STAGES = ("integration", "integration-redis", "integration-valkey", "e2e", "hardening")
for stage in () if args.none else STAGES:
    junit = os.path.join(ROOT, "tests", stage, "junit.xml")
    if stage == "hardening" and args.hardening < 0:
        continue
    if os.path.exists(junit):
        for suite in ET.parse(junit).getroot().iter("testsuite"):
            total = int(suite.get("tests", 0))
            fail = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            passed += total - fail - skip
            failed += fail
            skipped += skip
    else:
        print(f"{stage}: no junit.xml (suite did not run)")
        failed += 1

if args.distcheck > 0:
    print("make distcheck failed")
    failed += 1
elif args.distcheck == 0:
    passed += 1  # distcheck counts as one test

for name, status in (("package test", args.package), ("rpmspec check", args.rpmspec),
                     ("fuzz smoke", args.fuzz)):
    if status == 77:
        skipped += 1
    elif status > 0:
        print(f"{name} failed")
        failed += 1
    elif status == 0:
        passed += 1  # each counts as one test

runs = []
if not args.none:
    runs.append({"label": args.label or "this tree",
                 "passed": passed, "failed": failed, "skipped": skipped})
if args.save:
    with open(args.save, "w") as f:
        json.dump(runs[0], f)
for path in args.add:
    with open(path) as f:
        run = json.load(f)
    runs.append(run)
    passed += run["passed"]
    failed += run["failed"]
    skipped += run["skipped"]
for name in args.missing:
    print(f"{name}: no results (it did not run to the end)")
    failed += 1
if len(runs) > 1:
    for run in runs:
        print(f"{run['label']}: {run['passed']} passed, {run['failed']} failed, "
              f"{run['skipped']} skipped")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
