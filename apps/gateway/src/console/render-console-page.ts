import { renderPage } from './page-shell';

/**
 * The console's sections, the roles of which a key needs one to use each (as the API's
 * guards require them), and what each shows. The script hides nothing the API would allow
 * and explains what it would not.
 */
export const CONSOLE_SECTIONS = [
  { id: 'approvals', label: 'Approvals', roles: ['approver', 'admin', 'auditor'] },
  { id: 'lockdown', label: 'Lockdown', roles: ['admin'] },
  { id: 'incidents', label: 'Incidents', roles: ['auditor', 'admin'] },
  { id: 'ledger', label: 'Ledger', roles: ['auditor', 'admin'] },
  { id: 'replay', label: 'Replay', roles: ['auditor', 'admin'] },
] as const;

/** How often the console refreshes what can change under it. */
export const CONSOLE_POLL_MS = { approvals: 5_000, lockdown: 10_000, incidents: 30_000 } as const;

const tab = (section: (typeof CONSOLE_SECTIONS)[number], index: number): string =>
  `<button type="button" role="tab" class="tab" id="tab-${section.id}" data-section="${section.id}" data-testid="tab-${section.id}" aria-controls="section-${section.id}" aria-selected="${index === 0}" tabindex="${index === 0 ? 0 : -1}" data-roles="${section.roles.join(',')}">${section.label}<span class="tab-count" id="${section.id}-count" hidden></span></button>`;

const panel = (id: string, title: string, intro: string, content: string): string => {
  const section = CONSOLE_SECTIONS.find((entry) => entry.id === id)!;
  return `<section class="section" id="section-${id}" role="tabpanel" aria-labelledby="tab-${id}" data-section="${id}" data-testid="section-${id}" data-roles="${section.roles.join(',')}" hidden>
<div class="section-head"><h2>${title}</h2><p class="updated" id="${id}-updated" aria-live="polite"></p></div>
<p class="section-intro">${intro}</p>
<p class="notice notice-warn role-note" id="${id}-role-note" data-testid="${id}-role-note" hidden></p>
<div class="section-body">${content}</div>
</section>`;
};

const APPROVALS = `<p class="notice notice-bad" id="approvals-message" data-testid="approvals-message" role="status" hidden></p>
<div id="approvals-list" class="proposal-list" data-testid="approvals-list"><p class="empty">Loading…</p></div>`;

const LOCKDOWN = `<div class="card lockdown-status" id="lockdown-status" data-testid="lockdown-status"><p class="empty">Loading…</p></div>
<form class="card lockdown-form" id="lockdown-form" data-testid="lockdown-form" novalidate>
<div class="field">
<label for="lockdown-reason">Reason <span class="muted">(recorded in the ledger with your key)</span></label>
<textarea id="lockdown-reason" data-testid="lockdown-reason" rows="3" maxlength="2000" spellcheck="true" placeholder="e.g. Payments to an unknown recipient, investigating"></textarea>
</div>
<div class="actions">
<button type="button" class="danger" id="lockdown-engage" data-testid="lockdown-engage">Engage lockdown</button>
<button type="button" class="good" id="lockdown-release" data-testid="lockdown-release">Release lockdown</button>
</div>
<p class="hint">Applies to this key's tenant. While a lockdown is in force no decision is ALLOW and every execution is refused; only a release by hand, with a reason, ends it. The global lockdown needs the operator key (<code>./halm lockdown engage --global</code>).</p>
</form>
<p class="notice" id="lockdown-message" data-testid="lockdown-message" role="status" hidden></p>`;

const INCIDENTS = `<div id="incidents-list" class="incident-list" data-testid="incidents-list"><p class="empty">Loading…</p></div>`;

const LEDGER = `<div class="ledger-grid">
<div class="ledger-events">
<form class="row" id="events-form" data-testid="events-form" novalidate>
<div class="field"><label for="events-from">From height</label><input type="number" id="events-from" data-testid="events-from" min="1" step="1" value="1"></div>
<div class="field"><label for="events-to">To height</label><input type="number" id="events-to" data-testid="events-to" min="1" step="1" placeholder="latest"></div>
<button type="submit" class="small" id="events-submit" data-testid="events-submit">Show events</button>
</form>
<p class="updated" id="events-meta" data-testid="events-meta"></p>
<div class="table-wrap"><table class="events-table" data-testid="events-table">
<caption class="visually-hidden">Ledger events by height</caption>
<thead><tr><th scope="col">Height</th><th scope="col">Type</th><th scope="col">Recorded</th><th scope="col">Hash</th><th scope="col"><span class="visually-hidden">Proof</span></th></tr></thead>
<tbody id="events-body"></tbody>
</table></div>
<button type="button" class="secondary small" id="events-next" data-testid="events-next" hidden>Next page</button>
</div>
<div class="card proof-view" id="proof-view" data-testid="proof-view" aria-live="polite">
<h3>Inclusion proof</h3>
<p class="empty">Pick an event to fetch its inclusion proof and verify it here, in your browser.</p>
</div>
</div>
<h3 class="subhead">Signed checkpoints</h3>
<div class="row checkpoint-actions">
<button type="button" class="secondary small" id="checkpoints-refresh" data-testid="checkpoints-refresh">Refresh</button>
<button type="button" class="secondary small" id="checkpoints-sign" data-testid="checkpoints-sign">Sign a checkpoint now</button>
</div>
<div class="table-wrap"><table class="checkpoints-table" data-testid="checkpoints-table">
<caption class="visually-hidden">Signed checkpoints, newest first</caption>
<thead><tr><th scope="col">Tree size</th><th scope="col">Root hash</th><th scope="col">Issued</th><th scope="col">Key</th></tr></thead>
<tbody id="checkpoints-body"></tbody>
</table></div>`;

const REPLAY = `<form class="row" id="replay-form" data-testid="replay-form" novalidate>
<div class="field"><label for="replay-from">From height</label><input type="number" id="replay-from" data-testid="replay-from" min="1" step="1" placeholder="1"></div>
<div class="field"><label for="replay-to">To height</label><input type="number" id="replay-to" data-testid="replay-to" min="1" step="1" placeholder="latest"></div>
<button type="submit" class="small" id="replay-submit" data-testid="replay-submit">Replay decisions</button>
</form>
<div id="replay-result" class="replay-result" data-testid="replay-result" aria-live="polite"></div>
<h3 class="subhead">What if</h3>
<p>Replay the same history against a candidate manifest before publishing it, and see which past decisions would change.</p>
<form id="whatif-form" data-testid="whatif-form" novalidate>
<div class="field">
<label for="whatif-manifest">Candidate manifest <span class="muted">(YAML or JSON)</span></label>
<textarea id="whatif-manifest" data-testid="whatif-manifest" rows="10" spellcheck="false" autocapitalize="off" autocomplete="off" placeholder="version: 1&#10;rules:&#10;  - id: …"></textarea>
</div>
<div class="row">
<div class="field"><label for="whatif-from">From height</label><input type="number" id="whatif-from" data-testid="whatif-from" min="1" step="1" placeholder="1"></div>
<div class="field"><label for="whatif-to">To height</label><input type="number" id="whatif-to" data-testid="whatif-to" min="1" step="1" placeholder="latest"></div>
<button type="submit" class="small" id="whatif-submit" data-testid="whatif-submit">Run what-if</button>
</div>
</form>
<div id="whatif-result" class="replay-result" data-testid="whatif-result" aria-live="polite"></div>`;

const REASON_DIALOG = `<dialog id="reason-dialog" data-testid="reason-dialog" aria-labelledby="reason-title">
<form id="reason-form" novalidate>
<h2 id="reason-title">Reason</h2>
<p id="reason-summary" class="muted"></p>
<div class="field">
<label for="reason-text">Reason <span class="muted">(recorded in the ledger with your key)</span></label>
<textarea id="reason-text" data-testid="reason-text" rows="3" maxlength="2000"></textarea>
</div>
<p class="error-text" id="reason-error" role="alert" hidden></p>
<div class="actions">
<button type="submit" id="reason-confirm" data-testid="reason-confirm">Confirm</button>
<button type="button" class="secondary" id="reason-cancel" data-testid="reason-cancel">Cancel</button>
</div>
</form>
</dialog>`;

/** The console: a login form, then the sections the key's roles allow, filled in by the script from the JSON API. */
export const renderConsolePage = (): string =>
  renderPage({
    title: 'Halm — Console',
    description: 'The operations console: approvals, lockdown, incidents, the ledger and replay.',
    current: '/console',
    stylesheet: '/console/assets/console.css',
    script: '/console/assets/console.js',
    body: `<main id="main" class="page console" data-approvals-poll-ms="${CONSOLE_POLL_MS.approvals}" data-lockdown-poll-ms="${CONSOLE_POLL_MS.lockdown}" data-incidents-poll-ms="${CONSOLE_POLL_MS.incidents}">
<div id="login-view" class="login-view" data-testid="login-view">
<p class="eyebrow">Operations</p>
<h1>Console</h1>
<p class="lead">For approvers, admins and auditors: settle pending approvals, engage or release a lockdown, follow incidents, explore and verify the ledger, replay decisions.</p>
<form id="login-form" class="card login-form" data-testid="login-form" novalidate>
<div class="field">
<label for="login-key">API key</label>
<input type="password" id="login-key" data-testid="login-key" name="key" autocomplete="off" spellcheck="false" autocapitalize="off" placeholder="halm_…" aria-describedby="login-hint">
<p class="hint" id="login-hint">A key of your tenant with the approver, admin or auditor role. It stays in this tab's session storage (closing the tab forgets it) and is sent only to this gateway, as <code>Authorization: Bearer</code>.</p>
</div>
<p class="error-text" id="login-error" data-testid="login-error" role="alert" hidden></p>
<div class="actions"><button type="submit" id="login-submit" data-testid="login-submit">Sign in</button></div>
</form>
<noscript><p class="notice">The console needs JavaScript.</p></noscript>
</div>
<div id="console-view" class="console-view" data-testid="console-view" hidden>
<div class="session-bar">
<div>
<p class="eyebrow">Console</p>
<h1 class="session-title">Tenant <span class="mono" id="session-tenant" data-testid="session-tenant"></span></h1>
<p class="session-meta">Key <span class="mono" id="session-key" data-testid="session-key"></span> · roles <span id="session-roles" data-testid="session-roles"></span></p>
</div>
<div class="session-side">
<span class="pill pill-unknown" id="session-lockdown" data-testid="session-lockdown" hidden>Lockdown: unknown</span>
<button type="button" class="secondary small" id="logout" data-testid="logout">Sign out</button>
</div>
</div>
<div class="tabs" role="tablist" aria-label="Console sections">${CONSOLE_SECTIONS.map(tab).join('')}</div>
${panel('approvals', 'Pending approvals', 'Proposals waiting for a human (REQUIRE_HUMAN) and those held for a veto until their deadline (HELD_FOR_VETO). Every verdict is a ledger event; a veto window that elapses is one too.', APPROVALS)}
${panel('lockdown', 'Lockdown', 'Stop every execution of this tenant at once, and resume when it is safe. Both are recorded in the ledger with the reason given.', LOCKDOWN)}
${panel('incidents', 'Incidents', 'What the integrity monitor found: the invariant that broke and the ledger events that show it.', INCIDENTS)}
${panel('ledger', 'Ledger explorer', 'The tenant\'s hash-chained events by height. Pick one to fetch its Merkle inclusion proof (RFC 9162) and verify it here with your browser\'s own SHA-256 against a signed checkpoint.', LEDGER)}
${panel('replay', 'Replay', 'Re-evaluate each recorded decision with the policy snapshot it recorded and the state it saw: PASS (the same decision), FAIL (drift, with the field that differs), UNKNOWN (the snapshot is missing).', REPLAY)}
</div>
${REASON_DIALOG}
</main>`,
  });
