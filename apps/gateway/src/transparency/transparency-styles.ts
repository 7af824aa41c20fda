import { PAGE_STYLES } from '../console/page-shell';

/** The transparency page's styles: the shared look, a status grid and the invariant cards. */
export const TRANSPARENCY_STYLES =
  PAGE_STYLES +
  String.raw`
.panel-head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem; margin-bottom: 0.75rem; }
.panel-head h2 { margin: 0; }
.status-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(12.5rem, 1fr)); gap: 0.75rem; margin: 0; }
.status-item { background: #fff; border: 1px solid var(--border); border-radius: 10px; padding: 0.8rem 1rem; }
.status-item dt { font-weight: 600; display: flex; flex-direction: column; gap: 0.2rem; }
.status-item dt code { align-self: flex-start; font-size: 0.78rem; font-weight: 400; color: var(--muted); }
.status-item dd { margin: 0.6rem 0 0; }
.check-time { font-weight: 600; }
.invariants { list-style: none; margin: 1rem 0; padding: 0; display: grid; gap: 0.75rem; }
.invariant { display: grid; grid-template-columns: 2.5rem minmax(0, 1fr) auto; gap: 0.25rem 1rem; align-items: center; }
.invariant-number { display: inline-grid; place-items: center; width: 2.2rem; height: 2.2rem; border-radius: 50%; background: #0f172a; color: #fff; font-weight: 700; }
.invariant-name { margin: 0; font-family: var(--mono); font-size: 0.98rem; overflow-wrap: anywhere; }
.invariant-description { margin: 0.25rem 0 0; color: var(--muted); }
.invariant-checks { margin: 0.35rem 0 0; }
.invariant-checks summary { font-size: 0.85rem; }
.invariant-checks p { margin: 0.35rem 0 0; font-size: 0.88rem; color: var(--muted); max-width: 52rem; }
.invariant-state { display: flex; flex-direction: column; align-items: flex-end; gap: 0.35rem; }
.invariant-state .checked { color: var(--muted); font-size: 0.85rem; white-space: nowrap; }
.architecture { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 0.75rem; }
.architecture h3 { margin: 0 0 0.35rem; font-size: 1.05rem; }
.architecture p { margin: 0; color: var(--muted); }
.triggers { padding-left: 1.25rem; }
@media (max-width: 40rem) {
  .invariant { grid-template-columns: 2.5rem minmax(0, 1fr); }
  .invariant-state { grid-column: 2; align-items: flex-start; }
}
`;
