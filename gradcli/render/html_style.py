"""The --format html page's stylesheet, as text (a Python module, so every install ships it).

Colours are CSS variables: light by default, dark under prefers-color-scheme: dark, and the
page's toggle button forces either (data-theme on <html>).  The graph's classes are the ones
render/graph_svg.py writes.
"""

CSS = """
:root{--bg:#fdfdfe;--fg:#1d1f23;--muted:#626873;--card:#ffffff;--line:#8a8f98;--edge:#a3a9b3;
--up:#e3f4dd;--down:#fbe4e0;--zero:#f4f5f7;--accent:#1f6feb;--path:#d9480f;--warn:#fff3cd;--warnfg:#664d03;
--panel:#f3f4f7}
@media (prefers-color-scheme: dark){:root:not([data-theme=light]){--bg:#15171b;--fg:#e6e8eb;--muted:#9aa1ad;
--card:#1f2227;--line:#59606b;--edge:#5d6470;--up:#1d3a24;--down:#43231f;--zero:#24272d;--accent:#58a6ff;
--path:#ff8c42;--warn:#3d3315;--warnfg:#f1d98a;--panel:#1c1f24}}
:root[data-theme=dark]{--bg:#15171b;--fg:#e6e8eb;--muted:#9aa1ad;--card:#1f2227;--line:#59606b;--edge:#5d6470;
--up:#1d3a24;--down:#43231f;--zero:#24272d;--accent:#58a6ff;--path:#ff8c42;--warn:#3d3315;--warnfg:#f1d98a;
--panel:#1c1f24}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
header{display:flex;align-items:baseline;gap:1em;padding:.8em 1.2em;border-bottom:1px solid var(--line)}
header h1{font-size:1.25em;margin:0;font-family:ui-monospace,Menlo,Consolas,monospace}
header .sub{color:var(--muted);flex:1}
button{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:6px;
padding:.25em .7em;cursor:pointer}
button:focus-visible,input:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
#gc-inputs{display:flex;flex-wrap:wrap;gap:.6em 1.4em;padding:.7em 1.2em;background:var(--panel);
border-bottom:1px solid var(--line)}
#gc-inputs fieldset{border:1px solid var(--line);border-radius:6px;display:flex;flex-wrap:wrap;gap:.5em 1.2em;
margin:0;padding:.2em .7em .5em}
#gc-inputs legend{color:var(--muted);font-size:.9em}
.gc-input{display:flex;align-items:center;gap:.45em;font-family:ui-monospace,Menlo,Consolas,monospace}
.gc-input input[type=range]{width:8em;accent-color:var(--accent)}
.gc-input input[type=number]{width:7.5em;font:inherit;color:var(--fg);background:var(--card);
border:1px solid var(--line);border-radius:4px;padding:.1em .3em}
#gc-notice{padding:0 1.2em}
#gc-notice p{margin:.5em 0;padding:.4em .7em;border-radius:6px;background:var(--warn);color:var(--warnfg)}
#gc-notice p:empty{display:none}
main{display:flex;align-items:flex-start;gap:0;min-height:60vh}
#gc-graph{flex:1;overflow:auto;padding:.5em;max-height:calc(100vh - 9em)}
#gc-detail{width:26em;max-width:40vw;padding:.8em 1.1em;border-left:1px solid var(--line);
max-height:calc(100vh - 9em);overflow:auto;position:sticky;top:0}
#gc-detail h2{font-size:1.05em;margin:.1em 0 .5em;font-family:ui-monospace,Menlo,Consolas,monospace;
overflow-wrap:anywhere}
#gc-detail h3{font-size:.85em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:1em 0 .3em}
#gc-detail ul{list-style:none;margin:0;padding:0}
#gc-detail li,#gc-detail .gc-mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;
overflow-wrap:anywhere;margin:.2em 0}
#gc-detail .gc-hint{color:var(--muted)}
#gc-arrays{padding:.5em 1.2em 1.2em;border-top:1px solid var(--line)}
#gc-arrays h2{font-size:1em;margin:.4em 0}
#gc-arrays .gc-array{margin:.3em 0}
#gc-arrays button{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;margin:.15em}
.gc-card{cursor:pointer}
.gc-card rect{fill:var(--card);stroke:var(--line);stroke-width:1}
.gc-card.gc-up rect{fill:var(--up)}.gc-card.gc-down rect{fill:var(--down)}.gc-card.gc-zero rect{fill:var(--zero)}
.gc-card.gc-output rect{stroke:var(--fg);stroke-width:2}
.gc-card.gc-grouped rect{stroke-dasharray:5 3}
.gc-card text{font:12px ui-monospace,Menlo,Consolas,monospace;fill:var(--fg)}
.gc-card .gc-label{font-weight:bold;font-size:13px}
.gc-card .gc-op{fill:var(--muted)}
.gc-card .gc-stale{fill:var(--muted);font-style:italic}
#gc-value.gc-stale{color:var(--muted);font-style:italic}
.gc-card:focus{outline:none}
.gc-card:focus rect{stroke:var(--accent);stroke-width:2.5}
.gc-card.gc-selected rect{stroke:var(--path);stroke-width:3}
.gc-card.gc-path rect{stroke:var(--path);stroke-width:2}
.gc-card.gc-nonfinite text{fill:var(--path)}
.gc-edge{fill:none;stroke:var(--edge);stroke-width:1.2}
.gc-edge.gc-path{stroke:var(--path);stroke-width:2.4}
.gc-arrow{fill:var(--edge)}
"""
