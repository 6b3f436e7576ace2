#!/usr/bin/env python3
"""Writes an import file for `canopy import` timings (docs/performance.md).

    python3 bench/import/make_csv.py orgs 100000 > /tmp/orgs.csv
    python3 bench/import/make_csv.py users 100000 > /tmp/users.csv

orgs: 100 regions under the root (parent by code), then sites spread evenly
under them, N rows in all. users: N people homed in the regions of an orgs
file of the same N (so import that first), each a Viewer of their region.
"""
import sys

kind, n = sys.argv[1], int(sys.argv[2])
regions = 100
out = sys.stdout
if kind == "orgs":
    out.write("code,name,parent,kind,city\n")
    for r in range(regions):
        out.write(f"IMP-R{r:03},Region {r:03},ROOT,region,City {r}\n")
    for i in range(n - regions):
        r = i % regions
        out.write(f"IMP-S{i:06},Site {i:06},IMP-R{r:03},site,Town {i % 977}\n")
elif kind == "users":
    out.write("email,name,org,job_title,grants\n")
    for i in range(n):
        r = i % regions
        out.write(f"p{i:06}@import.example,Person {i:06},IMP-R{r:03},Engineer,Viewer@IMP-R{r:03}\n")
else:
    sys.exit("kind: orgs or users")
