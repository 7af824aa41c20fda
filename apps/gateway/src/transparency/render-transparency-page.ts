import { INVARIANTS, type InvariantDefinition } from '@halm/domain';
import { escapeHtml, renderPage } from '../console/page-shell';
import { INTEGRITY_FIELDS } from './integrity-fields';

/** How often the page asks `GET /api/public/integrity` and `GET /api/public/invariants` again. */
export const TRANSPARENCY_POLL_MS = { integrity: 5_000, invariants: 15_000 } as const;

const statusItem = (entry: (typeof INTEGRITY_FIELDS)[number]): string => `<div class="status-item" data-field="${entry.field}">
<dt>${escapeHtml(entry.label)} <code>${entry.field}</code></dt>
<dd data-testid="integrity-${entry.field}"><span class="pill pill-unknown">unknown</span></dd>
</div>`;

const invariantCard = (invariant: InvariantDefinition, index: number): string => `<li class="card invariant" data-invariant="${invariant.name}" data-testid="invariant-${invariant.name}">
<span class="invariant-number" aria-hidden="true">${index + 1}</span>
<div class="invariant-text">
<h3 class="invariant-name">${escapeHtml(invariant.name)}</h3>
<p class="invariant-description">${escapeHtml(invariant.description)}</p>
<details class="invariant-checks"><summary>How it is checked</summary><p>${escapeHtml(invariant.checks)}</p></details>
</div>
<div class="invariant-state">
<span class="pill pill-unknown" data-testid="invariant-state-${invariant.name}">unknown</span>
<span class="checked" data-testid="invariant-checked-${invariant.name}">Last checked: unknown</span>
</div>
</li>`;

const ARCHITECTURE = [
  ['Authorization Gate', 'Every agent action passes through authorize() before execution. Pure function evaluation against versioned policy rules. No side effects during evaluation.'],
  ['Execution Gate', 'Approved actions execute through execute(). Exactly-once guarantees via idempotency keys. All effects logged to hash-chained ledger.'],
  ['Hash-Chained Ledger', 'Every proposal, decision, and execution linked by SHA-256 hash. Any tampering breaks the chain and triggers integrity alerts.'],
  ['Replay Verification', 'Any historical decision can be replayed against versioned policy snapshots. Results: PASS (consistent), FAIL (drift detected), UNKNOWN (missing version).'],
] as const;

const LOCKDOWN_TRIGGERS = [
  '3 critical anomaly events within 5 minutes',
  'Hash chain integrity failure (if strict mode enabled)',
  'Kernel invariant violation (if strict mode enabled)',
  'Budget breach at critical level',
  'Manual admin trigger',
] as const;

/**
 * The public transparency page: the integrity status and the six invariants (the seed's
 * names and words, from libs/domain) rendered with "unknown" states (the script fills them
 * in from the public endpoints and keeps polling),
 * the enforcement architecture and the lockdown protocol. No tenant data, no key.
 */
export const renderTransparencyPage = (): string =>
  renderPage({
    title: 'Halm — Transparency',
    description: 'Kernel invariants and live integrity status of this Halm deployment.',
    current: '/transparency',
    stylesheet: '/transparency/assets/transparency.css',
    script: '/transparency/assets/transparency.js',
    body: `<main id="main" class="page transparency" data-integrity-poll-ms="${TRANSPARENCY_POLL_MS.integrity}" data-invariants-poll-ms="${TRANSPARENCY_POLL_MS.invariants}">
<p class="eyebrow">Public disclosure</p>
<h1>Transparency</h1>
<p class="lead">Halm's runtime enforcement guarantees are machine-verified continuously. Technical disclosure of kernel invariants and real-time integrity status.</p>

<section class="panel integrity" id="integrity" aria-labelledby="integrity-title">
<div class="panel-head">
<h2 id="integrity-title">Live Integrity Status</h2>
<span class="pill pill-unknown" id="integrity-overall" data-testid="integrity-overall">Fetching integrity status...</span>
</div>
<dl class="status-grid">
${INTEGRITY_FIELDS.map(statusItem).join('\n')}
</dl>
<p class="notice notice-warn" id="integrity-problem" data-testid="integrity-problem" hidden></p>
<p class="updated" id="integrity-updated" data-testid="integrity-updated" aria-live="polite">Fetching integrity status...</p>
<noscript><p class="notice">The live status needs JavaScript; without it, read <a href="/api/public/integrity">/api/public/integrity</a> and <a href="/api/public/invariants">/api/public/invariants</a>.</p></noscript>
</section>

<section id="invariants" aria-labelledby="invariants-title">
<h2 id="invariants-title">Kernel Invariants</h2>
<p>Six core rules that are machine-verified on a schedule (every 5 minutes by default). Violation triggers incident creation and optional lockdown.</p>
<p class="notice notice-warn" id="invariants-problem" data-testid="invariants-problem" hidden></p>
<ol class="invariants" data-testid="invariants">
${INVARIANTS.map(invariantCard).join('\n')}
</ol>
</section>

<section id="architecture" aria-labelledby="architecture-title">
<h2 id="architecture-title">Enforcement Architecture</h2>
<div class="architecture">
${ARCHITECTURE.map(([title, text]) => `<div class="card"><h3>${escapeHtml(title)}</h3><p>${escapeHtml(text)}</p></div>`).join('\n')}
</div>
</section>

<section class="panel" id="lockdown" aria-labelledby="lockdown-title">
<div class="panel-head">
<h2 id="lockdown-title">Lockdown Protocol</h2>
<span class="pill pill-unknown" id="lockdown-state" data-testid="lockdown-state">Lockdown: unknown</span>
</div>
<h3>Automatic Lockdown Triggers</h3>
<ul class="triggers">
${LOCKDOWN_TRIGGERS.map((trigger) => `<li>${escapeHtml(trigger)}</li>`).join('\n')}
</ul>
<p>When lockdown is active, all execution requests are rejected. Manual unlock with logged reason is required to resume operations.</p>
</section>

<section id="verify" aria-labelledby="verify-title">
<h2 id="verify-title">Verify Enforcement Externally</h2>
<p>Anyone can verify Halm's enforcement status via the public integrity endpoint:</p>
<pre><code id="verify-command">curl /api/public/integrity</code></pre>
<p>Returns: ${INTEGRITY_FIELDS.map((entry) => `<code>${entry.field}</code>`).join(', ')}</p>
</section>
</main>`,
  });
