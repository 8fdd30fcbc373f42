#!/usr/bin/env python3
# filters/mkentities.py: writes filters/html_entities.c, the table of HTML
# named character references that filters/html.c decodes.  The names and
# their code points are the WHATWG HTML standard's list, as Python's
# standard library carries it (html.entities.html5).  Run it by hand when
# that list changes; the output is committed.
#
#	python3 filters/mkentities.py > filters/html_entities.c
import html.entities

rows = sorted(html.entities.html5.items(), key=lambda kv: kv[0].encode())
print("/*")
print(" * html_entities.c: the HTML named character references (the WHATWG")
print(" * list), sorted by name in byte order for a binary search.  Written")
print(" * by filters/mkentities.py; do not edit.  Names without a final ';'")
print(" * are the legacy ones a browser decodes even without it.")
print(" */")
print('#include "filters/html_entities.h"')
print()
print("const struct html_entity html_entities[] = {")
for name, value in rows:
    cps = [ord(c) for c in value]
    while len(cps) < 2:
        cps.append(0)
    print('\t{ "%s", { 0x%x, 0x%x } },' % (name, cps[0], cps[1]))
print("};")
print()
print("const size_t html_nentities = sizeof(html_entities) /")
print("    sizeof(html_entities[0]);")
