"""The device run's summary (scripts/gpu-device-run.sh): reads OUT/results.jsonl
(one JSON object per result, fastgo's from cmd/gpucheck, PyTorch's from
scripts/gpucheck_torch.py) and writes OUT/summary.md and OUT/gpu.tsv.

  python3 scripts/gpu_summary.py OUT

What it computes, beyond the figures themselves:
- fastgo against PyTorch eager on the same card, per part, dtype and batch
  size (> 1: fastgo is faster);
- the fit t = a + b·bs of the step times over the batch sizes (least
  squares): a, the fixed cost per step (launches, transfers, waits), and b,
  the device cost per image;
- the gains of the overlap (off → on), of NoWait execution (the patched
  build, same settings), of the caches (cold → warm compile), of
  DMA-mapped uploads;
- the issue's targets, met or not.
Python 3 standard library only (the device machine's python).
"""
import datetime
import json
import os
import re
import sys

FASTGO, TORCH = "fastgo", "torch"


def load(out):
    """The result lines of results.jsonl, each with "impl" (fastgo or torch)."""
    rows = []
    path = os.path.join(out, "results.jsonl")
    if not os.path.exists(path):
        return rows
    for line in open(path):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if not isinstance(r, dict) or not r.get("part"):
            continue
        run = r.get("run_part", "")
        r["impl"] = TORCH if run in ("torch", "compiled") else FASTGO
        rows.append(r)
    return rows


def fit_line(points):
    """Least-squares (a, b) of t = a + b·x over (x, t) points; None with fewer
    than two distinct x."""
    xs = {x for x, _ in points}
    if len(xs) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    mt = sum(t for _, t in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (t - mt) for x, t in points) / sxx
    return mt - b * mx, b


def ratio(ours, theirs, higher_better=True):
    if not ours or not theirs:
        return None
    return ours / theirs if higher_better else theirs / ours


def fmt(v, nd=1, suffix=""):
    if v is None or v == "":
        return "—"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{float(v):.{nd}f}{suffix}"
    return f"{v}{suffix}"


def is_on(variant):
    return (variant or "").startswith("overlap-on")


def pick(rows, **kw):
    """Rows whose fields equal kw's values (a callable value tests the field)."""
    out = []
    for r in rows:
        ok = True
        for k, v in kw.items():
            f = r.get(k)
            if callable(v):
                ok = v(f)
            else:
                ok = f == v
            if not ok:
                break
        if ok:
            out.append(r)
    return out


def first(rows, **kw):
    found = pick(rows, **kw)
    return found[0] if found else None


def gpu_name(card):
    """The GPU both sides ran on, from nvidia-smi's output ("NVIDIA H200"),
    or what ran instead when it names none (the CPU dry run)."""
    m = re.search(r"NVIDIA [A-Z][A-Za-z0-9]*(?:[ -](?:[0-9]+GB|PCIe|SXM[0-9]*|NVL|HBM[0-9e]*))*", card or "")
    return m.group(0) if m else "no GPU named by nvidia-smi (CPU dry run)"


def summarize(rows, card="", progress="", hlo="", compiles="", date=None):
    """The summary (markdown) and the gpu.tsv lines of a run's results."""
    date = date or datetime.date.today().isoformat()
    gpu = gpu_name(card)
    md, tsv, targets = [], [], []
    fg = [r for r in rows if r["impl"] == FASTGO and r.get("part") != "none"]
    pt = [r for r in rows if r["impl"] == TORCH]
    arch = next((r.get("arch") for r in fg if r.get("arch")), "resnet34")
    released = [r for r in fg if not r.get("run_part", "").startswith("patched")]
    patched = [r for r in fg if r.get("run_part", "").startswith("patched")]

    def tsv_row(part, dtype, ours, theirs, rat, unit_s=False):
        o_img = "" if unit_s else ours.get("img_per_s", "") if ours else ""
        o_s = (ours.get("seconds", "") if unit_s else ours.get("step_ms", "")) if ours else ""
        t_img = "" if unit_s else theirs.get("img_per_s", "") if theirs else ""
        t_s = (theirs.get("seconds", "") if unit_s else theirs.get("step_ms", "")) if theirs else ""
        tsv.append("\t".join(str(x) for x in [date, arch, part, dtype, o_img, o_s, t_img, t_s,
                                               fmt(rat, 2, "x") if rat else "",
                                               (ours or {}).get("smi_peak_mib", ""), (theirs or {}).get("peak_mib", ""), gpu]))

    md.append("# fastgo on the lent GPU (issue 27's device run)\n")
    if card:
        md.append("```\n" + card.strip()[:1500] + "\n```\n")
    if progress:
        md.append("Parts:\n\n```\n" + progress.strip() + "\n```\n")

    # Training steps.
    md.append("## Training steps (ResNet, 224 px): fastgo against PyTorch eager on this card\n")
    md.append("| dtype | bs | fastgo variant | fastgo ms/step | img/s | PyTorch eager ms/step | img/s | fastgo/PyTorch |")
    md.append("|---|---|---|---|---|---|---|---|")
    for r in sorted(pick(released, part="step"), key=lambda r: (r.get("dtype", ""), r.get("bs", 0), r.get("variant", ""))):
        t = first(pt, part="step", dtype=r.get("dtype"), bs=r.get("bs"), variant="eager")
        rat = ratio(r.get("img_per_s"), t and t.get("img_per_s"))
        md.append(f'| {r.get("dtype")} | {r.get("bs")} | {r.get("variant", "")} | {fmt(r.get("step_ms"), 2)} | {fmt(r.get("img_per_s"))} '
                  f'| {fmt(t and t.get("step_ms"), 2)} | {fmt(t and t.get("img_per_s"))} | {fmt(rat, 2, "x")} |')
        tsv_row(f'step/bs{r.get("bs")}/{r.get("variant", "")}', r.get("dtype", ""), r, t, rat)
        if r.get("bs") == 64 and is_on(r.get("variant")) and rat is not None:
            targets.append((f'{arch} step {r.get("dtype")} bs 64 ≥ 1.0× PyTorch eager', rat >= 1.0, f"{rat:.2f}x"))
    md.append("")

    # The fits t = a + b·bs.
    md.append("### Fixed cost a and device cost b per image (t = a + b·bs, least squares over the batch sizes)\n")
    md.append("| who | dtype | a (ms per step) | b (ms per image) | points |")
    md.append("|---|---|---|---|---|")
    for who, src, sel in ((FASTGO + " overlap on", released, lambda r: is_on(r.get("variant"))),
                          ("PyTorch eager", pt, lambda r: r.get("variant") == "eager")):
        for dtype in ("float32", "bfloat16"):
            pts = [(r["bs"], r["step_ms"]) for r in pick(src, part="step", dtype=dtype) if sel(r) and r.get("step_ms") and r.get("bs")]
            f = fit_line(pts)
            if f:
                md.append(f"| {who} | {dtype} | {f[0]:.2f} | {f[1]:.3f} | {len(pts)} |")
    md.append("")

    # Overlap and NoWait gains at the run's batch size.
    md.append("### What the overlap and NoWait execution gain (same card, same run)\n")
    md.append("| part | dtype | overlap off | overlap on | on/off | patched NoWait (on) | NoWait/on |")
    md.append("|---|---|---|---|---|---|---|")
    for part in ("step", "real460"):
        for dtype in ("float32", "bfloat16"):
            off = first(released, part=part, dtype=dtype, variant="overlap-off")
            if not off:
                continue
            on = first(released, part=part, dtype=dtype, bs=off.get("bs"), variant=is_on)
            nw = first(patched, part=part, dtype=dtype, bs=off.get("bs"), variant=is_on)
            md.append(f'| {part} bs {off.get("bs")} | {dtype} | {fmt(off.get("img_per_s"))} img/s | {fmt(on and on.get("img_per_s"))} img/s '
                      f'| {fmt(ratio(on and on.get("img_per_s"), off.get("img_per_s")), 2, "x")} | {fmt(nw and nw.get("img_per_s"))} img/s '
                      f'| {fmt(ratio(nw and nw.get("img_per_s"), on and on.get("img_per_s")), 2, "x")} |')
    md.append("")

    # The real 460-px path.
    md.append("## The chapter's step: 460-px uint8 batches, augmentation in the graph\n")
    md.append("| variant | fastgo img/s | PyTorch eager img/s | fastgo/PyTorch |")
    md.append("|---|---|---|---|")
    t = first(pt, part="real460")
    for r in pick(released, part="real460"):
        rat = ratio(r.get("img_per_s"), t and t.get("img_per_s"))
        md.append(f'| {r.get("variant")} | {fmt(r.get("img_per_s"))} | {fmt(t and t.get("img_per_s"))} | {fmt(rat, 2, "x")} |')
        tsv_row(f'real460/bs{r.get("bs")}/{r.get("variant", "")}', "float32", r, t, rat)
    md.append("")

    # Uploads.
    md.append("## Host → device uploads\n")
    md.append("| who | way | GB/s | ms per batch |")
    md.append("|---|---|---|---|")
    for who, src in ((FASTGO, released), (FASTGO + " (patched go-xla)", patched), ("PyTorch", pt)):
        for r in pick(src, part="upload"):
            md.append(f'| {who} | {r.get("variant")} | {fmt(r.get("gb_per_s"), 2)} | {fmt(r.get("step_ms"), 2)} |')
    md.append("")

    # Compilation.
    md.append("## A new process's first training step (ResNet34 f32 bs 64)\n")
    md.append("| variant | graph built (s) | then first step done (s) | whole (s) |")
    md.append("|---|---|---|---|")
    for r in pick(fg, part="compile"):
        md.append(f'| {r.get("variant")} | {fmt(r.get("build_s"), 2)} | {fmt(r.get("compile_s"), 2)} | {fmt(r.get("seconds"), 2)} |')
        tsv_row(f'compile/{r.get("variant", "")}', "float32", {"seconds": r.get("seconds")}, None, None, unit_s=True)
    warm = [r for r in pick(fg, part="compile") if "warm" in (r.get("variant") or "")]
    if warm:
        best = min(r.get("compile_s") or 1e9 for r in warm)
        targets.append(("a warm process starts training within 3 s of its graph being built", best <= 3.0, f"{best:.2f} s"))
    if compiles.strip():
        md.append("\nXLA compilations (go-xla's log):\n\n```\n" + compiles.strip()[:3000] + "\n```")
    md.append("")

    # FineTune.
    md.append("## FineTune(1) end to end over the carried images\n")
    t = first(pt, part="finetune")
    for r in pick(fg, part="finetune"):
        rat = ratio(r.get("seconds"), t and t.get("seconds"), higher_better=False)
        md.append(f'- fastgo ({r.get("variant") or "—"}): {fmt(r.get("seconds"))} s; PyTorch: {fmt(t and t.get("seconds"))} s → {fmt(rat, 2, "x")}')
        tsv_row(f'finetune/{r.get("variant", "")}', "float32", r, t, rat, unit_s=True)
        if rat is not None:
            targets.append(("FineTune(1) end to end ≥ 1.0× PyTorch", rat >= 1.0, f"{rat:.2f}x"))
    md.append("")

    # PyTorch's best.
    comp = pick(pt, part="step", variant="torch.compile")
    if comp:
        md.append("## torch.compile (PyTorch's best) at the run's batch size\n")
        for r in comp:
            ours = first(released, part="step", dtype=r.get("dtype"), bs=r.get("bs"), variant=is_on)
            md.append(f'- {r.get("dtype")}: {fmt(r.get("img_per_s"))} img/s (compiled in {fmt(r.get("compile_s"))} s); '
                      f'fastgo {fmt(ours and ours.get("img_per_s"))} → {fmt(ratio(ours and ours.get("img_per_s"), r.get("img_per_s")), 2, "x")}')
        md.append("")
    if hlo.strip():
        md.append("## Optimized HLO of the training step\n\n```\n" + hlo.strip() + "\n```\n")

    md.append("## Targets\n")
    if not targets:
        md.append("- nothing to judge: no result with a PyTorch peer")
    for name, ok, val in targets:
        md.append(f"- {'met' if ok else 'NOT met'}: {name} ({val})")
    header = "date\tarch\tpart\tdtype\tfastgo_img_s\tfastgo_s_or_ms\ttorch_img_s\ttorch_s_or_ms\tratio\tfastgo_peak_mib_smi\ttorch_peak_mib\tgpu"
    return "\n".join(md) + "\n", header + "\n" + "\n".join(tsv) + "\n"


def read(out, name):
    p = os.path.join(out, name)
    return open(p).read() if os.path.exists(p) else ""


def main():
    out = sys.argv[1]
    card = read(out, "nvidia-smi.txt") or read(out, "env-card.txt")
    md, tsv = summarize(load(out), card=card, progress=read(out, "progress.txt"),
                        hlo=read(out, "hlo-counts.txt"), compiles=read(out, "compiles.txt"))
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, "gpu.tsv"), "w") as f:
        f.write(tsv)
    print(md)


if __name__ == "__main__":
    main()
