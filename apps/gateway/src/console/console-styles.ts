import { PAGE_STYLES } from './page-shell';

/** The console's styles: the shared look, the session bar, tabs, proposal cards and the ledger explorer. */
export const CONSOLE_STYLES =
  PAGE_STYLES +
  String.raw`
.login-view { max-width: 40rem; }
.login-form { margin-top: 1.25rem; }
.login-form input[type="password"] { max-width: none; }
.session-bar { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: flex-end; gap: 0.75rem 1.5rem; margin-bottom: 1rem; }
.session-title { font-size: 1.5rem !important; margin: 0.15rem 0 0.2rem !important; }
.session-title .mono { font-size: 1.2rem; }
.session-meta { margin: 0; color: var(--muted); }
.session-side { display: flex; align-items: center; gap: 0.75rem; }
.tabs { display: flex; flex-wrap: wrap; gap: 0.25rem; border-bottom: 2px solid var(--border); margin-bottom: 1.25rem; }
.tab { background: none; border: 0; border-bottom: 3px solid transparent; border-radius: 0; color: var(--muted); padding: 0.7rem 1rem 0.6rem; margin-bottom: -2px; font-weight: 600; display: inline-flex; align-items: center; gap: 0.45rem; }
.tab:hover { background: var(--panel); color: var(--text); }
.tab[aria-selected="true"] { color: var(--accent-strong); border-bottom-color: var(--accent); }
.tab-locked { color: #6b7280; font-weight: 500; }
.tab-locked::after { content: "no access"; font-size: 0.68rem; font-weight: 700; letter-spacing: 0.05em; text-transform: uppercase; border: 1px solid currentColor; border-radius: 999px; padding: 0 0.4rem; }
.tab-count { display: inline-block; min-width: 1.4rem; padding: 0.1rem 0.4rem; border-radius: 999px; background: #b42318; color: #fff; font-size: 0.78rem; line-height: 1.3; text-align: center; }
.section-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0.5rem 1rem; }
.section-head h2 { margin: 0; }
.section-head .updated { margin: 0; }
.section-intro { color: var(--muted); max-width: 56rem; margin: 0.35rem 0 1rem; }
.proposal-list, .incident-list { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.9rem; }
.incident td.mono { overflow-wrap: anywhere; }
.proposal-head { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.75rem; }
.proposal-type { font-size: 0.95rem; font-weight: 700; }
.proposal-id { font-size: 0.82rem; }
.countdown { margin: 0.7rem 0 0.3rem; font-size: 1rem; }
.countdown .countdown-value { font-family: var(--mono); font-size: 1.1rem; color: #3b2a8f; }
.countdown.waiting .countdown-value { color: #6b3f00; }
.reasons.compact { margin: 0.35rem 0 0; font-size: 0.88rem; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.35rem 1rem; margin: 0.6rem 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
pre.payload { margin: 0; padding: 0.45rem 0.7rem; font-size: 0.85rem; max-height: 12rem; background: var(--panel); color: var(--text); border: 1px solid var(--border); border-radius: 6px; }
.proposal .actions { margin-top: 0.5rem; }
.lockdown-head { display: flex; flex-wrap: wrap; align-items: center; gap: 0.75rem; }
.lockdown-record { border-top: 1px solid var(--border); margin-top: 0.75rem; padding-top: 0.5rem; }
.lockdown-form { margin-top: 1rem; }
.lockdown-form textarea { min-height: 5rem; }
.ledger-grid { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 1.25rem; align-items: start; }
.ledger-events .row { margin-bottom: 0.5rem; }
.events-table tbody tr.selected { background: #eef4ff; }
.events-table td { vertical-align: middle; white-space: nowrap; }
.proof-view h3 { margin: 0 0 0.6rem; }
.checks { list-style: none; padding: 0; margin: 0.9rem 0; display: grid; gap: 0.35rem; }
.check { display: flex; gap: 0.5rem; align-items: baseline; }
.check-mark { font-weight: 700; width: 1rem; flex: none; }
.check-good .check-mark { color: #1a7f37; }
.check-bad .check-mark { color: #b42318; }
.check-unknown .check-mark { color: var(--muted); }
.audit-path { padding-left: 1.5rem; margin: 0.4rem 0; }
.subhead { margin: 2rem 0 0.6rem; }
.checkpoint-actions { margin-bottom: 0.5rem; }
.summary-row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.6rem; margin: 1rem 0 0.75rem; }
.differences { margin: 0; padding-left: 1.1rem; }
button.linkish { background: none; border: 0; padding: 0; color: var(--accent); text-decoration: underline; font: inherit; font-family: var(--mono); }
#whatif-manifest { min-height: 11rem; }
@media (max-width: 60rem) { .ledger-grid { grid-template-columns: 1fr; } }
`;
