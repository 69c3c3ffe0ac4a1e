"""Issue 20, found on the way: the pretty array table dropped arrays past --max-rows without saying so."""

from __future__ import annotations

PROGRAM = "a=[1,2,3]; b=a*2; c=b+1; d=c*c; y=sum(d)"


def test_arrays_past_max_rows_are_named(gradcli):
    out = gradcli("eval", PROGRAM, "--max-rows", "2").stdout
    assert "[12, 20, 28]" in out  # a's gradient dy/da = 2*2*(2a+1) is shown
    assert "not shown: 2 arrays (c, d); --max-rows 0 shows all" in out


def test_all_arrays_shown_when_they_fit(gradcli):
    out = gradcli("eval", PROGRAM, "--max-rows", "0").stdout
    assert "not shown" not in out and "[6, 10, 14]" in out and "[9, 25, 49]" in out
