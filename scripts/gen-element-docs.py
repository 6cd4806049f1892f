#!/usr/bin/python3
"""Writes docs/elements/: one markdown page per element of the project's
plugins, read from the registered elements themselves (GStreamer
introspection through python3-gi), like GStreamer's own plugin pages: pads
and caps, every property with its type, default, range, flags and blurb,
signals, URI schemes, rank, klass, description, and the element's
documentation comment (SECTION:element-NAME in ext/).

  scripts/gen-element-docs.py [BUILDDIR | PLUGIN.so ...]    writes the pages
  scripts/gen-element-docs.py --check [BUILDDIR | ...]      fails if stale

BUILDDIR (default: build) is searched for ext/*/libgst*.so. A plugin that is
not built (the rtmfp plugin, before it lands or with -Drtmfp=disabled) keeps
its committed pages untouched, and --check says it did not check them.

Only our plugins are loaded (GST_PLUGIN_SYSTEM_PATH_1_0 is emptied and the
registry is a temporary file), so the pages never depend on what else is
installed.
"""

import argparse
import difflib
import glob
import json
import os
import re
import shutil
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TOP, "docs", "elements")
REGEN = "scripts/gen-element-docs.py build"
MARK = "<!-- gen-element-docs "


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", default=["build"],
                    help="build directory, or plugin files (.so)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and fail when "
                    "the committed pages differ")
    ap.add_argument("--out", default=OUT, help="where the pages go (%(default)s)")
    return ap.parse_args()


def plugin_files(inputs):
    files = []
    for i in inputs:
        if os.path.isdir(i):
            files += sorted(glob.glob(os.path.join(i, "ext", "*", "libgst*.so")))
        elif os.path.isfile(i):
            files.append(i)
        else:
            sys.exit(f"gen-element-docs: {i}: no such build directory or plugin file")
    return [os.path.abspath(f) for f in files]


def init_gst(files, tmpdir):
    """Gst with our plugins only, from a registry of our own."""
    os.environ["GST_PLUGIN_PATH_1_0"] = os.pathsep.join(
        sorted({os.path.dirname(f) for f in files}))
    os.environ["GST_PLUGIN_SYSTEM_PATH_1_0"] = ""
    os.environ["GST_REGISTRY_1_0"] = os.path.join(tmpdir, "registry.bin")
    os.environ["GST_REGISTRY_FORK"] = "no"
    os.environ.pop("GST_PLUGIN_FEATURE_RANK", None)
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstBase", "1.0")
    from gi.repository import GObject, Gst
    Gst.init(None)
    return Gst, GObject


# ---- what the registry says ------------------------------------------------

RANKS = [(256, "primary"), (128, "secondary"), (64, "marginal"), (0, "none")]


def rank_text(rank):
    for value, name in RANKS:
        if rank == value:
            return f"{name} ({rank})"
        if rank > value:
            return f"{name} + {rank - value} ({rank})"
    return str(rank)


PARAM_FLAGS = [  # (bit, text), in gst-inspect's words
    (1 << 0, "readable"),
    (1 << 1, "writable"),
    (1 << 3, "construct-only"),
    (1 << 9, "controllable"),
    (1 << 31, "deprecated"),
]
MUTABLE = [(1 << 12, "changeable in NULL, READY, PAUSED or PLAYING state"),
           (1 << 11, "changeable only in NULL, READY or PAUSED state"),
           (1 << 10, "changeable only in NULL or READY state")]


def flags_text(flags):
    words = [t for bit, t in PARAM_FLAGS if flags & bit]
    for bit, t in MUTABLE:
        if flags & bit:
            words.append(t)
            break
    else:
        if flags & 2:
            words.append("changeable only in NULL state")
    return ", ".join(words)


def type_label(GObject, pspec):
    t = pspec.value_type
    simple = {"gchararray": "string", "gboolean": "boolean", "guint": "unsigned int",
              "gint": "int", "guint64": "unsigned int64", "gint64": "int64",
              "gdouble": "double", "gfloat": "float", "gulong": "unsigned long",
              "glong": "long"}
    if t.name in simple:
        return f"{simple[t.name]} (`{t.name}`)"
    if t.is_a(GObject.TYPE_ENUM):
        return f"enum `{t.name}`"
    if t.is_a(GObject.TYPE_FLAGS):
        return f"flags `{t.name}`"
    if t.is_a(GObject.TYPE_BOXED):
        return f"boxed `{t.name}`"
    if t.is_a(GObject.TYPE_OBJECT):
        return f"object `{t.name}`"
    return f"`{t.name}`"


def flag_nicks(GObject, pspec, value):
    out = []
    for v, fv in sorted(pspec.flags_class.__flags_values__.items()):
        if v and bin(v).count("1") == 1 and value & v:
            out.append(fv.first_value_nick)
    return out


def default_text(GObject, pspec):
    t = pspec.value_type
    if not pspec.flags & 1:
        return "—"
    d = getattr(pspec, "default_value", None)
    if t.is_a(GObject.TYPE_ENUM):
        return f"`{d.value_nick}` ({int(d)})"
    if t.is_a(GObject.TYPE_FLAGS):
        nicks = flag_nicks(GObject, pspec, int(d))
        return "`" + " | ".join(nicks) + f"` (0x{int(d):x})" if nicks else "`0` (none)"
    if t.name == "gchararray":
        return "none (NULL)" if d is None else f'`"{d}"`'
    if t.name == "gboolean":
        return "`true`" if d else "`false`"
    if d is None:
        return "—"
    return f"`{d}`"


def range_text(pspec):
    lo, hi = getattr(pspec, "minimum", None), getattr(pspec, "maximum", None)
    if lo is None or hi is None or pspec.value_type.name == "gboolean":
        return None
    return f"{lo} – {hi}"


def value_table(GObject, pspec):
    t = pspec.value_type
    rows = []
    if t.is_a(GObject.TYPE_ENUM):
        for v, ev in sorted(pspec.enum_class.__enum_values__.items()):
            rows.append((f"`{ev.value_nick}`", str(v), ev.value_name))
    elif t.is_a(GObject.TYPE_FLAGS):
        for v, fv in sorted(pspec.flags_class.__flags_values__.items()):
            if v and bin(v).count("1") == 1:
                rows.append((f"`{fv.first_value_nick}`", f"0x{v:x}", fv.first_value_name))
    return rows


def valid(gtype):
    return gtype is not None and gtype.name not in (None, "invalid")


def is_ours(gtype):
    """A type of our plugins, not one of GStreamer's or GLib's."""
    from gi.repository import GstBase
    from gi.repository import Gst
    name = gtype.name
    if name in ("GObject", "GInitiallyUnowned"):
        return False
    return not (name.startswith("Gst") and (hasattr(Gst, name[3:]) or
                                            hasattr(GstBase, name[3:])))


def own_types(gtype):
    """The element's type and its ancestors from our plugins, newest first,
    and the first one that is not ours."""
    out = []
    t = gtype
    while valid(t) and is_ours(t):
        out.append(t)
        t = t.parent
    return out, t


def section_doc(name):
    """The gtk-doc SECTION:element-NAME comment in ext/, as markdown."""
    for path in sorted(glob.glob(os.path.join(TOP, "ext", "**", "*.c"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"/\*\*\s*\n \* SECTION:element-" + re.escape(name) + r"\n(.*?)\*/",
                      text, re.S)
        if not m:
            continue
        lines = []
        for line in m.group(1).splitlines():
            line = re.sub(r"^ \* ?", "", line.rstrip())
            if line.strip() == "*":
                line = ""
            if line.startswith("@title:"):
                continue
            if line.strip() == "|[":
                line = "```sh"
            elif line.strip() == "]|":
                line = "```"
            elif line.startswith("#"):
                line = "#" + line
            lines.append(line)
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines), os.path.relpath(path, TOP)
    return None, None


def hierarchy(gtype):
    names = []
    t = gtype
    while valid(t):
        names.append(t.name)
        t = t.parent
    return " → ".join(reversed(names))


def element_page(Gst, GObject, factory):
    factory = factory.load()
    name = factory.get_name()
    gtype = factory.get_element_type()
    plugin = factory.get_plugin()
    meta = {k: factory.get_metadata(k) for k in factory.get_metadata_keys()}
    ours, base = own_types(gtype)
    own_names = {t.name for t in ours}
    uri = None
    if factory.get_uri_type() != Gst.URIType.UNKNOWN:
        uri = {"type": "source" if factory.get_uri_type() == Gst.URIType.SRC else "sink",
               "protocols": list(factory.get_uri_protocols())}
    info = {"element": name, "plugin": plugin.get_name(),
            "long_name": meta.get("long-name", ""), "klass": meta.get("klass", ""),
            "rank": factory.get_rank(),
            "uri": ", ".join(p + "://" for p in uri["protocols"]) if uri else ""}

    out = []
    w = out.append
    w(f"{MARK}{json.dumps(info, sort_keys=True)} -->")
    w(f"<!-- Generated from the registered element by scripts/gen-element-docs.py: "
      f"do not edit; regenerate with `{REGEN}`. -->")
    w("")
    w(f"# {name}")
    w("")
    w(f"**{meta.get('long-name', name)}** — {meta.get('description', '')}")
    w("")
    w("| | |")
    w("| --- | --- |")
    w(f"| Plugin | `{plugin.get_name()}` (`{os.path.basename(plugin.get_filename())}`): "
      f"{plugin.get_description()} |")
    w(f"| Klass | `{meta.get('klass', '')}` |")
    w(f"| Rank | {rank_text(factory.get_rank())} |")
    if uri:
        w(f"| URI handler | {uri['type']}: "
          + ", ".join(f"`{p}://`" for p in uri["protocols"]) + " |")
    else:
        w("| URI handler | none |")
    w(f"| Author | {meta.get('author', '')} |")
    if meta.get("doc-uri"):
        w(f"| Documentation URL | <{meta['doc-uri']}> |")
    w(f"| License | {plugin.get_license()}; package {plugin.get_package()}, "
      f"<{plugin.get_origin()}> |")
    w(f"| Type | {hierarchy(gtype)} |")
    ifaces = sorted(i.name for i in gtype.interfaces)
    if ifaces:
        w(f"| Interfaces | {', '.join(ifaces)} |")
    w("")

    doc, src = section_doc(name)
    if doc:
        w("## Description")
        w("")
        w(f"<!-- from the SECTION:element-{name} comment in {src} -->")
        w(doc)
        w("")

    w("## Pad templates")
    w("")
    for tpl in sorted(factory.get_static_pad_templates(), key=lambda t: t.name_template):
        direction = {Gst.PadDirection.SRC: "source", Gst.PadDirection.SINK: "sink"}.get(
            tpl.direction, "unknown")
        presence = {Gst.PadPresence.ALWAYS: "always", Gst.PadPresence.SOMETIMES: "sometimes",
                    Gst.PadPresence.REQUEST: "request"}[tpl.presence]
        w(f"### `{tpl.name_template}`")
        w("")
        w(f"Direction: {direction}; presence: {presence}. Caps:")
        w("")
        w("```")
        caps = tpl.get_caps()
        if caps.is_any():
            w("ANY")
        for i in range(caps.get_size()):
            w(caps.get_structure(i).to_string().rstrip(";").replace(", ", ",\n    "))
        w("```")
        w("")

    w("## Properties")
    w("")
    props = [p for p in GObject.list_properties(gtype) if p.owner_type.name in own_names]
    inherited = {}
    for p in GObject.list_properties(gtype):
        if p.owner_type.name not in own_names:
            inherited.setdefault(p.owner_type.name, []).append(p.name)
    types_used = {}
    for p in props:
        w(f"### `{p.name}`")
        w("")
        w(p.blurb or "")
        w("")
        w(f"- Type: {type_label(GObject, p)}")
        w(f"- Default: {default_text(GObject, p)}")
        r = range_text(p)
        if r:
            w(f"- Range: {r}")
        w(f"- Flags: {flags_text(int(p.flags))}")
        if p.value_type.is_a(GObject.TYPE_ENUM) or p.value_type.is_a(GObject.TYPE_FLAGS):
            types_used[p.value_type.name] = p
            w(f"- Values: see [{p.value_type.name}](#{p.value_type.name.lower()})")
        w("")
    if inherited:
        w("Also the properties of the GStreamer base classes: " + "; ".join(
            f"{owner}: " + ", ".join(f"`{n}`" for n in names)
            for owner, names in inherited.items()) + ".")
        w("")

    w("## Signals")
    w("")
    sigs = []
    for t in ours:
        for sid in GObject.signal_list_ids(t):
            q = GObject.signal_query(sid)
            sigs.append(q)
    if not sigs:
        w(f"None of its own (those of {base.name} and its parents apply).")
        w("")
    for q in sigs:
        action = " (action signal)" if int(q.signal_flags) & int(GObject.SignalFlags.ACTION) else ""
        params = ", ".join(t.name for t in q.param_types)
        w(f"### `{q.signal_name}`{action}")
        w("")
        w(f"`{q.return_type.name} callback ({gtype.name} *element"
          + (", " + params if params else "") + ", gpointer user_data)`")
        w("")

    if types_used:
        w("## Types")
        w("")
        for tname in sorted(types_used):
            p = types_used[tname]
            kind = "enum" if p.value_type.is_a(GObject.TYPE_ENUM) else "flags"
            w(f"### {tname}")
            w("")
            w(f"{kind.capitalize()} of `{p.name}`:")
            w("")
            w("| nick | value | meaning |")
            w("| --- | --- | --- |")
            for nick, value, desc in value_table(GObject, p):
                w(f"| {nick} | {value} | {desc} |")
            w("")
    return name, info, "\n".join(out).rstrip("\n") + "\n"


def read_info(path):
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    if not first.startswith(MARK):
        return None
    return json.loads(first[len(MARK):].rsplit("-->", 1)[0])


def index_page(infos):
    out = [f"<!-- Generated by scripts/gen-element-docs.py: do not edit; regenerate "
           f"with `{REGEN}`. -->", "", "# Element reference", "",
           "One page per element, generated from the registered element itself "
           "(`gst-inspect-1.0 NAME` says the same). How the ranks were chosen: "
           "[guide](../guide.md#which-element-plays-a-uri).", ""]
    by_plugin = {}
    for i in infos:
        by_plugin.setdefault(i["plugin"], []).append(i)
    for plugin in sorted(by_plugin):
        out += [f"## Plugin `{plugin}`", "",
                "| element | what | klass | rank | URI schemes |",
                "| --- | --- | --- | --- | --- |"]
        for i in sorted(by_plugin[plugin], key=lambda i: i["element"]):
            out.append(f"| [{i['element']}]({i['element']}.md) | {i['long_name']} | "
                       f"{i['klass']} | {rank_text(i['rank'])} | {i['uri'] or '—'} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def generate(files, outdir, previous):
    """Writes every page to @outdir; pages in @previous of plugins not built
    are carried over. Returns (plugins built, plugins carried over)."""
    with tempfile.TemporaryDirectory(prefix="gen-element-docs-") as tmp:
        Gst, GObject = init_gst(files, tmp)
        reg = Gst.Registry.get()
        built = set()
        for f in files:
            p = Gst.Plugin.load_file(f)
            built.add(p.get_name())
        infos = []
        os.makedirs(outdir, exist_ok=True)
        for plugin in sorted(built):
            feats = [f for f in reg.get_feature_list_by_plugin(plugin)
                     if isinstance(f, Gst.ElementFactory)]
            if not feats:
                sys.exit(f"gen-element-docs: plugin {plugin} registers no element")
            for fac in sorted(feats, key=lambda f: f.get_name()):
                name, info, text = element_page(Gst, GObject, fac)
                with open(os.path.join(outdir, name + ".md"), "w", encoding="utf-8") as f:
                    f.write(text)
                infos.append(info)
    carried = set()
    if os.path.isdir(previous):
        for path in sorted(glob.glob(os.path.join(previous, "*.md"))):
            info = read_info(path)
            if info and info["plugin"] not in built:
                carried.add(info["plugin"])
                if os.path.abspath(previous) != os.path.abspath(outdir):
                    shutil.copy(path, outdir)
                infos.append(info)
    # a page whose plugin was built but whose element is gone is dropped
    names = {i["element"] for i in infos}
    for path in glob.glob(os.path.join(outdir, "*.md")):
        base = os.path.basename(path)[:-3]
        if base != "README" and base not in names:
            os.remove(path)
    with open(os.path.join(outdir, "README.md"), "w", encoding="utf-8") as f:
        f.write(index_page(infos))
    return built, carried


def check(files, outdir):
    rel = os.path.relpath(outdir, TOP)
    with tempfile.TemporaryDirectory(prefix="element-docs-") as tmp:
        built, carried = generate(files, tmp, outdir)
        for plugin in sorted(carried):
            print(f"note: plugin '{plugin}' is not built: its pages in {rel}/ were not "
                  "checked")
        want = {os.path.basename(p) for p in glob.glob(os.path.join(tmp, "*.md"))}
        have = {os.path.basename(p) for p in glob.glob(os.path.join(outdir, "*.md"))}
        stale = []
        for page in sorted(want | have):
            a = os.path.join(outdir, page)
            b = os.path.join(tmp, page)
            if page not in have:
                stale.append(f"{rel}/{page} is missing (a new element?)")
                continue
            if page not in want:
                stale.append(f"{rel}/{page} documents an element that is no longer "
                             "registered")
                continue
            with open(a, encoding="utf-8") as f:
                old = f.read().splitlines()
            with open(b, encoding="utf-8") as f:
                new = f.read().splitlines()
            if old != new:
                diff = list(difflib.unified_diff(old, new, f"{rel}/{page} (committed)",
                                                 f"{rel}/{page} (from the build)",
                                                 lineterm="", n=1))
                stale.append(f"{rel}/{page} is stale:\n" + "\n".join(diff[:40])
                             + ("\n..." if len(diff) > 40 else ""))
        if stale:
            print("\n\n".join(stale))
            print(f"\nThe element pages do not match the built plugins "
                  f"({', '.join(sorted(built))}). Regenerate them with\n"
                  f"    {REGEN}\nand commit {rel}/.")
            return 1
        print(f"{rel}/: {len(want)} pages up to date (plugins: "
              f"{', '.join(sorted(built))})")
        return 0


def main():
    args = parse_args()
    files = plugin_files(args.inputs)
    if not files:
        sys.exit(f"gen-element-docs: no plugin found in {' '.join(args.inputs)} "
                 "(build first: ninja -C build)")
    if args.check:
        sys.exit(check(files, args.out))
    built, carried = generate(files, args.out, args.out)
    print(f"wrote {os.path.relpath(args.out, TOP)}/ (plugins: {', '.join(sorted(built))}"
          + (f"; kept the pages of {', '.join(sorted(carried))}, not built" if carried else "")
          + ")")


if __name__ == "__main__":
    main()
