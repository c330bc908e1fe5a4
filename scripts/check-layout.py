#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Holds the hypervisor to its one door between core and arch (docs/ARCHITECTURE.md).

    scripts/check-layout.py ARCH NM OBJECT...   (the hypervisor's objects, as the Makefile built them)

Fails, naming each breach, if
  1. hyp/core, hyp/lib or hyp/drivers calls a function that hyp/arch/ARCH defines and that is
     not declared in the arch interface: hyp/include/domus/arch.h, or the two headers each
     arch provides for its state types, domus/arch_vcpu.h and domus/arch_domain.h (read from
     the objects with NM, so a call hidden behind a macro counts too);
  2. a generic header (hyp/include) or a core file includes an arch header: anything found
     under hyp/arch/*/include but those two;
  3. a core file reaches into the arch's state (v->arch.regs, d->arch.s2, ...) instead of
     handing &v->arch to an accessor;
  4. a function declared in hyp/include/domus/NAME.h is defined in a file not named NAME.c
     (or NAME.S): a reader finds a function by its header's name. Interfaces that other
     parts implement are the exceptions: arch.h (each arch) and uart.h (each UART driver);
  5. a public header (hyp/include/public, the guest and toolstack ABI) includes anything but
     <stdint.h> and its fellow public headers, as Xen's include/public;
  6. anything under hyp/ asks whether it is built for a host test (HOST_TEST): the core is
     the same code in the hypervisor and in the host tests;
  7. the compiler (the host's cc, or $CC) accepts a mix-up of a host-physical address
     (paddr_t), a guest-physical one (ipa_t) and a plain number: each of MIXUPS must fail to
     compile, and the same code with the conversion written out must compile.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOOR_HEADERS = {"domus/arch_vcpu.h", "domus/arch_domain.h"}
INTERFACE_HEADERS = {"arch", "uart"}
PROTOTYPE = re.compile(r"^(?!typedef|#|\s)[^;{}()]*?\b([a-z_]\w*)\s*\([^;{}]*\)[^;{}]*;", re.M)
GENERIC_DIRS = ["hyp/core", "hyp/lib", "hyp/drivers"]


def symbols(nm, objs, flags):
    out = subprocess.run([nm, *flags, *map(str, objs)], check=True, capture_output=True,
                         text=True).stdout
    return out.splitlines()


def arch_calls(objs, arch, nm):
    """(symbol, caller object) for each arch-defined symbol a generic object uses."""
    arch_objs = [o for o in objs if f"/hyp/arch/{arch}/" in f"/{o}"]
    if not arch_objs:
        sys.exit(f"check-layout: no objects of hyp/arch/{arch} given: build first")
    defined = set()
    for line in symbols(nm, arch_objs, ["--defined-only"]):
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRtdbr" and parts[1].isupper():
            defined.add(parts[2])
    calls = []
    for obj in objs:
        if any(f"/{d}/" in f"/{obj}" for d in GENERIC_DIRS):
            for line in symbols(nm, [obj], ["-u"]):
                name = line.split()[-1]
                if name in defined:
                    calls.append((name, obj.name.removesuffix(".o")))
    return calls


def interface_text(arch):
    paths = [ROOT / "hyp/include/domus/arch.h"]
    paths += [ROOT / "hyp/arch" / arch / "include" / h for h in sorted(DOOR_HEADERS)]
    text = "\n".join(p.read_text() for p in paths if p.exists())
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # a name in a comment declares nothing


def arch_headers():
    """Every header an arch provides, as an #include names it."""
    names = set()
    for inc in (ROOT / "hyp/arch").glob("*/include"):
        names |= {str(p.relative_to(inc)) for p in inc.rglob("*.h")}
    return names - DOOR_HEADERS


def generic_files():
    for d in ["hyp/include"] + GENERIC_DIRS:
        yield from sorted((ROOT / d).rglob("*.[ch]"))


def definitions(objs, nm):
    """symbol -> the source file name (foo.c) that defines it, over every hypervisor object."""
    where = {}
    for obj in objs:
        for line in symbols(nm, [obj], ["--defined-only"]):
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBR":
                where[parts[2]] = obj.name.removesuffix(".o")
    return where


def misplaced_declarations(objs, nm):
    where = definitions(objs, nm)
    for h in sorted((ROOT / "hyp/include/domus").glob("*.h")):
        if h.stem in INTERFACE_HEADERS:
            continue
        text = re.sub(r"/\*.*?\*/", "", h.read_text(), flags=re.S)
        text = re.sub(r"static inline[^{]*\{.*?\n\}", "", text, flags=re.S)
        for name in PROTOTYPE.findall(text):
            src = where.get(name)
            if src and src.rsplit(".", 1)[0] != h.stem:
                yield f"{name} is declared in hyp/include/domus/{h.name} but defined in {src}"


# Each a mix-up the types must refuse, then the same with the conversion written out.
MIXUPS = [
    ("paddr_t p = ipa;", "paddr_t p = pa_init(ipa_addr(ipa));"),
    ("ipa_t i = pa;", "ipa_t i = ipa_init(pa_addr(pa));"),
    ("paddr_t p = n;", "paddr_t p = pa_init(n);"),
    ("u64 x = ipa;", "u64 x = ipa_addr(ipa);"),
    ("u64 x = pa + 4096;", "u64 x = pa_addr(pa_add(pa, 4096));"),
    ("take_ipa(pa);", "take_ipa(ipa_init(pa_addr(pa)));"),
    ("struct bank b = { n, n };", "struct bank b = { ipa_init(n), n };"),
]


def address_mixups_accepted():
    import os
    import tempfile
    cc = os.environ.get("CC", "cc")
    with tempfile.TemporaryDirectory() as tmp:
        for wrong, right in MIXUPS:
            results = []
            for body in (wrong, right):
                src = pathlib.Path(tmp, "mixup.c")
                src.write_text("#include <domus/types.h>\n"
                               "struct bank { ipa_t ipa; u64 size; };\n"
                               "void take_ipa(ipa_t ipa);\n"
                               "void f(paddr_t pa, ipa_t ipa, u64 n);\n"
                               "void f(paddr_t pa, ipa_t ipa, u64 n) { %s }\n" % body)
                r = subprocess.run([cc, "-std=gnu11", "-fsyntax-only", "-Wall", "-Werror",
                                    "-Wno-unused-variable", "-Wno-unused-but-set-variable",
                                    "-I", str(ROOT / "hyp/include"), str(src)],
                                   capture_output=True, text=True)
                results.append(r.returncode == 0)
            if not results[1]:
                yield f"address-type check: the correct form `{right}` does not compile"
            elif results[0]:
                yield f"the compiler accepts the address mix-up `{wrong}` (domus/types.h)"


def main():
    arch, nm = sys.argv[1], sys.argv[2]
    objs = [pathlib.Path(o) for o in sys.argv[3:]]
    breaches = []

    door = interface_text(arch)
    for name, caller in arch_calls(objs, arch, nm):
        if not re.search(r"\b%s\s*\(" % re.escape(name), door):
            breaches.append(f"{caller} calls {name}, which hyp/arch/{arch} defines outside "
                            "the arch interface (declare it in hyp/include/domus/arch.h)")

    private = arch_headers()
    include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
    reach = re.compile(r"(?:->|\.)arch\.[a-z_]")
    for f in generic_files():
        rel = f.relative_to(ROOT)
        text = f.read_text()
        for h in include.findall(text):
            if h in private:
                breaches.append(f"{rel} includes the arch header {h}")
        if rel.parts[1] != "include":
            for n, line in enumerate(text.splitlines(), 1):
                if reach.search(line):
                    breaches.append(f"{rel}:{n} reaches into the arch's state: {line.strip()}")

    breaches += misplaced_declarations(objs, nm)

    for h in sorted((ROOT / "hyp/include/public").glob("*.h")):
        for inc in include.findall(h.read_text()):
            if inc != "stdint.h" and not inc.startswith("public/"):
                breaches.append(f"hyp/include/public/{h.name} includes {inc}: the ABI needs "
                                "only <stdint.h>")
    for f in sorted((ROOT / "hyp").rglob("*.[chS]")):
        if "HOST_TEST" in f.read_text():
            breaches.append(f"{f.relative_to(ROOT)} asks for HOST_TEST")

    breaches += address_mixups_accepted()

    for b in breaches:
        print("check-layout:", b)
    if breaches:
        sys.exit(f"check-layout: {len(breaches)} breach(es) of the layout (docs/ARCHITECTURE.md)")
    print("check-layout: core and arch meet only at the door; every function is declared where a reader looks; "
          f"the compiler refuses {len(MIXUPS)} kinds of address mix-up")


if __name__ == "__main__":
    main()
