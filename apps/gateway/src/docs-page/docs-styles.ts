/** The docs page's styles: system fonts, WCAG AA contrast, a visible focus ring, no external assets. */
export const DOCS_STYLES = String.raw`
:root {
  --text: #1b1f24;
  --muted: #4b5563;
  --bg: #ffffff;
  --panel: #f6f8fa;
  --border: #d0d7de;
  --accent: #0b57d0;
  --accent-strong: #0842a0;
  --focus: #b45309;
  --mono: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin: 0; font: 16px/1.55 var(--sans); color: var(--text); background: var(--bg); }
a { color: var(--accent); }
a:hover { color: var(--accent-strong); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code, pre, textarea, .path { font-family: var(--mono); font-size: 0.9em; }
code { background: var(--panel); border: 1px solid #e5e7eb; border-radius: 4px; padding: 0 0.25em; }
pre { background: #0f172a; color: #e2e8f0; padding: 0.9rem 1rem; border-radius: 8px; overflow: auto; line-height: 1.45; }
pre code { background: none; border: 0; padding: 0; color: inherit; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip-link { position: absolute; left: 1rem; top: -3rem; background: var(--accent); color: #fff; padding: 0.5rem 0.9rem; border-radius: 6px; z-index: 10; }
.skip-link:focus { top: 0.75rem; color: #fff; }
.muted { color: var(--muted); }

.site-header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0.5rem 1.5rem; padding: 0.9rem 1.5rem; border-bottom: 1px solid var(--border); background: #0f172a; color: #f8fafc; }
.site-header a { color: #bfdbfe; }
.brand { font-weight: 700; font-size: 1.15rem; letter-spacing: 0.01em; }
.logo { color: #93c5fd; margin-right: 0.25rem; }
.meta { margin: 0; color: #cbd5e1; font-size: 0.9rem; }
.header-side { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.5rem 1.75rem; }
.site-nav ul { display: flex; gap: 0.25rem 1.25rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
.site-nav a { color: #cbd5e1; text-decoration: none; font-weight: 600; padding: 0.2rem 0; border-bottom: 2px solid transparent; }
.site-nav a:hover { color: #fff; }
.site-nav a[aria-current="page"] { color: #fff; border-bottom-color: #93c5fd; }

.layout { display: grid; grid-template-columns: 18.5rem minmax(0, 1fr); max-width: 84rem; margin: 0 auto; }
.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; padding: 1.25rem 1rem 2rem 1.5rem; border-right: 1px solid var(--border); font-size: 0.9rem; }
.toc ul { list-style: none; margin: 0; padding: 0; }
.toc-details > ul > li { margin: 0.9rem 0; }
.toc li li { margin: 0.2rem 0; }
.toc a { display: flex; gap: 0.4rem; align-items: baseline; text-decoration: none; color: var(--text); padding: 0.15rem 0.25rem; border-radius: 4px; }
.toc a:hover { background: var(--panel); color: var(--accent-strong); }
.toc-details > summary { font-size: 0.75rem; font-weight: 700; letter-spacing: 0.06em; text-transform: uppercase; color: var(--muted); margin-bottom: 0.25rem; }
.toc-title { font-weight: 700; margin: 0.5rem 0; }
.toc-title a { color: var(--accent); }
.toc-group { display: block; font-size: 0.75rem; font-weight: 700; letter-spacing: 0.06em; text-transform: uppercase; color: var(--muted); margin-bottom: 0.3rem; }
.toc-path { font-family: var(--mono); font-size: 0.82rem; overflow-wrap: anywhere; }
main { padding: 1.5rem 2rem 4rem; min-width: 0; }
.intro h1 { margin: 0 0 0.5rem; font-size: 2rem; }
.intro p { max-width: 52rem; }

.method { display: inline-block; flex: none; min-width: 3.9rem; text-align: center; font: 700 0.72rem/1.7 var(--sans); letter-spacing: 0.04em; border-radius: 4px; padding: 0 0.35rem; color: #fff; background: #4b5563; }
.method-get { background: #1a7f37; }
.method-post { background: #0b57d0; }
.method-delete { background: #b42318; }
.method-put, .method-patch { background: #8a4b00; }

.playground { margin: 1.5rem 0 2.5rem; padding: 1.5rem; border: 1px solid var(--border); border-radius: 12px; background: var(--panel); }
.playground h2 { margin-top: 0; }
.lead { font-size: 1.05rem; }
.note { background: #fff; border-left: 4px solid var(--accent); padding: 0.6rem 0.9rem; border-radius: 0 6px 6px 0; }
fieldset.target { border: 1px solid var(--border); border-radius: 8px; padding: 0.6rem 1rem 0.8rem; margin: 1rem 0; background: #fff; }
fieldset.target legend { font-weight: 600; padding: 0 0.3rem; }
.choice { display: flex; align-items: center; gap: 0.5rem; margin: 0.3rem 0; }
.choice input { width: 1.1rem; height: 1.1rem; margin: 0; accent-color: var(--accent); }
.field { margin: 0.8rem 0; }
.field > label, .label-row > label { display: block; font-weight: 600; margin-bottom: 0.35rem; }
.label-row { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: end; gap: 0.5rem; }
.example-picker { display: inline-flex; align-items: center; gap: 0.5rem; font-size: 0.95rem; margin-bottom: 0.35rem; }
.example-picker label { font-weight: 600; }
select, input[type="password"], textarea { font: inherit; color: var(--text); background: #fff; border: 1px solid #8c959f; border-radius: 6px; }
select { padding: 0.3rem 0.5rem; }
input[type="password"] { width: 100%; max-width: 32rem; padding: 0.45rem 0.6rem; font-family: var(--mono); }
textarea { display: block; width: 100%; min-height: 15rem; padding: 0.75rem; font-family: var(--mono); font-size: 0.92rem; line-height: 1.5; resize: vertical; tab-size: 2; }
.hint { margin: 0.35rem 0 0; color: var(--muted); font-size: 0.9rem; }
.actions { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-top: 0.75rem; }
button { font: 600 1rem/1 var(--sans); padding: 0.7rem 1.2rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button:hover { background: var(--accent-strong); }
button.secondary { background: #fff; color: var(--accent); }
button.secondary:hover { background: #eef4ff; }
button[disabled] { opacity: 0.65; cursor: progress; }

.result { margin-top: 1.25rem; padding: 1rem 1.25rem; border: 1px solid var(--border); border-radius: 8px; background: #fff; min-height: 5rem; }
.result-title { margin: 0 0 0.5rem; font-size: 1.05rem; }
.placeholder { color: var(--muted); margin: 0; }
.result-meta { color: var(--muted); font-size: 0.9rem; margin: 0 0 0.6rem; }
.decision { display: flex; flex-wrap: wrap; align-items: center; gap: 0.6rem; margin-bottom: 0.75rem; }
.badge { display: inline-block; font: 700 0.95rem/1 var(--sans); letter-spacing: 0.03em; padding: 0.45rem 0.7rem; border-radius: 999px; border: 1px solid currentColor; }
.badge-ALLOW { color: #0d5c2a; background: #dcfce7; }
.badge-DENY { color: #8f1a12; background: #fee2e2; }
.badge-REQUIRE_HUMAN { color: #6b3f00; background: #fef3c7; }
.badge-HELD_FOR_VETO { color: #3b2a8f; background: #ede9fe; }
.badge-problem { color: #8f1a12; background: #fee2e2; }
.allowed { font-weight: 600; }
dl.fields { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.3rem 1rem; margin: 0.5rem 0 0.75rem; }
dl.fields dt { font-weight: 600; color: var(--muted); }
dl.fields dd { margin: 0; font-family: var(--mono); font-size: 0.9rem; word-break: break-all; }
.reasons { margin: 0.25rem 0 0.75rem; padding-left: 1.25rem; }
.error-text { color: #8f1a12; font-weight: 600; }

.reference > .tag { margin-top: 2.5rem; }
.tag > h2 { border-bottom: 2px solid var(--border); padding-bottom: 0.3rem; }
.operation { border: 1px solid var(--border); border-radius: 10px; padding: 1rem 1.25rem; margin: 1.25rem 0; scroll-margin-top: 1rem; }
.operation h3 { display: flex; flex-wrap: wrap; align-items: center; gap: 0.6rem; margin: 0 0 0.4rem; font-size: 1.1rem; }
.operation h3 .path { font-size: 1rem; word-break: break-all; }
.operation h4 { margin: 1.1rem 0 0.4rem; font-size: 0.95rem; }
.summary { font-weight: 600; margin: 0.2rem 0; }
.auth { font-size: 0.95rem; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 0.92rem; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.6rem; border-bottom: 1px solid #e5e7eb; }
thead th { background: var(--panel); font-weight: 600; }
tbody th { font-weight: 400; white-space: nowrap; }
.status { font-family: var(--mono); font-weight: 700; }
.status-2xx { color: #0d5c2a; }
.status-4xx { color: #8f1a12; }
.status-5xx { color: #6b3f00; }
details { margin: 0.6rem 0; }
summary { cursor: pointer; color: var(--accent); font-weight: 600; }
.schemas { margin-top: 3rem; }
.schema { margin: 1.25rem 0; scroll-margin-top: 1rem; }
.schema h3 { font-family: var(--mono); font-size: 1rem; }

@media (max-width: 60rem) {
  .layout { grid-template-columns: 1fr; }
  .toc { position: static; max-height: none; border-right: 0; border-bottom: 1px solid var(--border); padding: 0.75rem 1rem; }
  .toc-details > summary { font-size: 0.95rem; color: var(--accent); text-transform: none; letter-spacing: 0; }
  main { padding: 1rem; }
}
@media (prefers-reduced-motion: reduce) { html { scroll-behavior: auto; } }
`;
