"""report_format: how scripts/report writes numbers and tables: significant figures, median
with its min-max spread, Markdown tables, name-part labels, and Ctx (what every block needs: the
results, nproc, paths relative to REPORT.md, the closing note). No data selection, no prose."""

import os

import mailroom_results as mr


MISSING = "not in this result file"
FAILED = "failed ✗"  # a benchmark any repetition of which reported an error: no figure, never bold


# --- number formatting ------------------------------------------------------------------
def g(v):
    """Three significant figures or so, never scientific notation."""
    if v is None:
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def spread(st, scale=1.0):
    """'[min–max]' over repetitions, or a note when the file has aggregates only."""
    if st.lo is None:
        return "[no spread]"
    return f"[{g(st.lo * scale)}–{g(st.hi * scale)}]"


def cell(st, scale=1.0, bold=False):
    if st is None:
        return "–"
    med = g(st.median * scale)
    return f"{'**' + med + '**' if bold else med} {spread(st, scale)}"


def bcell(b, field, scale=1.0, bold=False):
    """A bench's cell for one field: FAILED when any repetition failed, '–' when absent."""
    if b is None:
        return "–"
    if b.failed:
        return FAILED
    return cell(b.stat(field), scale, bold)


def fcell(b, st, scale=1.0):
    """cell() of a Stat derived from bench b (per-item figures), FAILED when b failed."""
    return FAILED if b is not None and b.failed else cell(st, scale)


def pct(x):
    return f"{x * 100:.0f}%"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def combo(b, skip=()):
    """'k:v k:v' label for a bench's parameters (minus the ones a table already shows)."""
    parts = [f"{k}:{v}" for k, v in b.params.items() if k not in skip]
    if b.variant:
        parts.insert(0, b.variant)
    return " ".join(parts)


class Ctx:
    """What every block needs: the results, nproc and where REPORT.md lives (for relative paths)."""

    def __init__(self, res, report_md):
        self.res = res
        self.base = os.path.dirname(os.path.abspath(report_md))
        self.nproc = res.nproc()
        self.plots = mr.available_plots(res)
        self.reps = res.repetitions()

    def rel(self, path):
        return os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")

    def image(self, name, alt):
        if name not in self.plots:
            return ""
        png = os.path.join(os.path.dirname(os.path.abspath(self.res.path)), mr.PLOT_FILES[name])
        return f"\n\n![{alt}]({self.rel(png)})"

    def note(self, what):
        failed = (f" {FAILED} = at least one repetition reported an error, so no figure is shown "
                  "(the errors are listed under Provenance)." if self.res.failed() else "")
        return (f"Cells: median over {self.reps} repetitions [min–max over repetitions]; {what}. "
                f"Source: `{self.rel(self.res.path)}`.{failed}")


def short_scen(s):
    return s[len("savina_"):] if s.startswith("savina_") else s


def size_of(b):
    """The size part of a Savina/memory name ('actors:1000 hops:100000'), without the mode."""
    return combo(b) if b else "–"


def x_text(x, a=None, b=None):
    if x is None:
        return "–"
    return f"{g(x)}x" + (" (spreads overlap)" if a is not None and b is not None and a.overlaps(b) else "")


def conf_text(conf):
    return " ".join(f"{k}:{v}" for k, v in conf.items())
