import { PAGE_KIT_SCRIPT } from './page-shell';
import { PROOF_VERIFIER_SCRIPT } from './proof-verifier-script';

/**
 * The console's script, served as /console/assets/console.js. It signs in with an API key
 * (kept in sessionStorage only, sent only as `Authorization: Bearer` to this gateway), asks
 * `GET /api/console/session` for the key's roles, and drives each section from the JSON API.
 * A section the roles do not allow explains why instead of failing; an API a gateway does not
 * serve yet (404) says so. Output is built with textContent only.
 */
export const CONSOLE_SCRIPT =
  PAGE_KIT_SCRIPT +
  PROOF_VERIFIER_SCRIPT +
  String.raw`
(function () {
  'use strict';
  var root = document.querySelector('main.console');
  if (!root) return;
  var el = Halm.el;
  var byId = function (id) { return document.getElementById(id); };
  var KEY_STORAGE = 'halm.console.apiKey';
  var every = {
    approvals: Number(root.getAttribute('data-approvals-poll-ms')) || 5000,
    lockdown: Number(root.getAttribute('data-lockdown-poll-ms')) || 10000,
    incidents: Number(root.getAttribute('data-incidents-poll-ms')) || 30000
  };
  var session = null;
  // Each sign-in starts a new generation; pollers of an earlier one stop.
  var generation = 0;
  var tabs = Array.prototype.slice.call(root.querySelectorAll('[role="tab"]'));
  var sections = Array.prototype.slice.call(root.querySelectorAll('section.section'));

  var storage = {
    get: function () { try { return sessionStorage.getItem(KEY_STORAGE); } catch (ignored) { return null; } },
    set: function (key) { try { sessionStorage.setItem(KEY_STORAGE, key); } catch (ignored) { /* a private window may refuse: the key then lasts until reload */ } },
    remove: function () { try { sessionStorage.removeItem(KEY_STORAGE); } catch (ignored) { /* nothing stored */ } }
  };

  var hasRole = function (roles) { return !!session && roles.some(function (role) { return session.roles.indexOf(role) >= 0; }); };
  var rolesOf = function (node) { return (node.getAttribute('data-roles') || '').split(',').filter(Boolean); };
  var either = function (roles) { return roles.length === 1 ? 'the ' + roles[0] + ' role' : 'the ' + roles.slice(0, -1).join(', ') + ' or ' + roles[roles.length - 1] + ' role'; };

  var notice = function (node, kind, text) {
    node.className = 'notice' + (kind ? ' notice-' + kind : '');
    node.textContent = text || '';
    node.hidden = !text;
  };

  var call = function (method, path, body) {
    var mine = generation;
    return Halm.request(method, path, session && session.key, body).then(function (answer) {
      if (answer.status === 401 && session && mine === generation) signOut('This key is no longer accepted (' + Halm.problemText(answer) + '). Sign in again.');
      return answer;
    });
  };

  var poll = function (load, interval) {
    var mine = generation;
    var tick = function () {
      if (mine !== generation) return;
      if (document.hidden) { setTimeout(tick, interval); return; }
      load().then(function () { if (mine === generation) setTimeout(tick, interval); });
    };
    tick();
  };

  var updated = function (id) { byId(id + '-updated').textContent = 'Updated ' + new Date().toLocaleTimeString(); };

  var unavailable = function (answer, what) {
    if (answer.status === 404) return what + ' is not available on this gateway yet (HTTP 404).';
    if (answer.status === 403) return what + ': ' + Halm.problemText(answer);
    return what + ' could not be read. ' + Halm.problemText(answer);
  };

  var statusKind = { ALLOW: 'good', DENY: 'bad', REQUIRE_HUMAN: 'warn', HELD_FOR_VETO: 'info' };
  var statusPill = function (status, testId) { return Halm.pill(statusKind[status] || 'unknown', String(status), testId); };
  var short = function (hash) { return el('span', { 'class': 'hash-short', title: String(hash) }, [String(hash).slice(0, 10) + '…']); };
  // A key is named by its id (key_…); any other actor by its kind as well.
  var actor = function (by) { return !by ? 'unknown' : by.kind === 'key' && by.id ? String(by.id) : String(by.kind) + (by.id ? ' ' + String(by.id) : ''); };
  var pretty = function (value) { return JSON.stringify(value, null, 2); };
  // JSON strings hold no raw line breaks, so collapsing them with the indentation keeps every value intact.
  var compact = function (value) {
    var oneLine = JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
    return oneLine.length <= 90 ? oneLine : pretty(value);
  };
  var facts = function (pairs) {
    return el('dl', { 'class': 'facts' }, pairs.reduce(function (nodes, pair) {
      if (pair) nodes.push(el('dt', {}, [pair[0]]), el('dd', pair[2] ? { 'data-testid': pair[2] } : {}, [pair[1]]));
      return nodes;
    }, []));
  };
  var table = function (caption, headings, rows, testId) {
    return el('div', { 'class': 'table-wrap' }, [el('table', { 'data-testid': testId }, [
      el('caption', { 'class': 'visually-hidden' }, [caption]),
      el('thead', {}, [el('tr', {}, headings.map(function (heading) { return el('th', { scope: 'col' }, [heading]); }))]),
      el('tbody', {}, rows)
    ])]);
  };
  /** A whole number of at least 1 from an input, undefined when empty, or an error naming the field. */
  var height = function (id, name) {
    var text = byId(id).value.trim();
    if (text === '') return undefined;
    if (!/^[0-9]+$/.test(text) || Number(text) < 1) throw new Error(name + ' must be a whole number of at least 1');
    return Number(text);
  };

  // ── the reason dialog ──
  var dialog = byId('reason-dialog');
  var reasonForm = byId('reason-form');
  var reasonText = byId('reason-text');
  var reasonError = byId('reason-error');
  var pendingReason = null;
  var askReason = function (title, summary, confirmLabel, confirmClass) {
    byId('reason-title').textContent = title;
    byId('reason-summary').textContent = summary;
    var confirm = byId('reason-confirm');
    confirm.textContent = confirmLabel;
    confirm.className = confirmClass || '';
    reasonText.value = '';
    reasonError.hidden = true;
    return new Promise(function (resolve) {
      pendingReason = resolve;
      dialog.showModal();
      reasonText.focus();
    });
  };
  var settleReason = function (value) {
    var resolve = pendingReason;
    pendingReason = null;
    if (dialog.open) dialog.close();
    if (resolve) resolve(value);
  };
  reasonForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var reason = reasonText.value.trim();
    if (!reason) {
      reasonError.textContent = 'A reason is required: it is recorded in the ledger.';
      reasonError.hidden = false;
      reasonText.focus();
      return;
    }
    settleReason(reason);
  });
  byId('reason-cancel').addEventListener('click', function () { settleReason(null); });
  dialog.addEventListener('close', function () { settleReason(null); });

  // ── approvals ──
  var approvalsList = byId('approvals-list');
  var approvalsShown = '';
  // Verdicts recorded here, hidden until the projection stops listing them as open.
  var settled = {};

  var countdownOf = function (proposal) {
    var deadline = Date.parse(proposal.vetoDeadline);
    return el('p', { 'class': 'countdown', 'data-deadline': proposal.vetoDeadline }, [
      el('span', { 'class': 'countdown-label' }, ['Becomes executable unless vetoed in ']),
      el('strong', { 'class': 'countdown-value', 'data-testid': 'countdown-' + proposal.proposalId }, [Halm.duration(deadline - Date.now())]),
      el('span', { 'class': 'muted' }, [' · deadline ' + Halm.time(proposal.vetoDeadline)])
    ]);
  };

  var waitingOf = function (proposal) {
    return el('p', { 'class': 'countdown waiting', 'data-since': proposal.decidedAt }, [
      el('span', { 'class': 'countdown-label' }, ['Waiting for a human for ']),
      el('strong', { 'class': 'countdown-value' }, [Halm.duration(Date.now() - Date.parse(proposal.decidedAt))])
    ]);
  };

  var tickCountdowns = function () {
    var now = Date.now();
    Array.prototype.forEach.call(approvalsList.querySelectorAll('[data-deadline]'), function (node) {
      var left = Date.parse(node.getAttribute('data-deadline')) - now;
      var value = node.querySelector('.countdown-value');
      value.setAttribute('data-seconds-left', String(Math.max(0, Math.floor(left / 1000))));
      if (left > 0) { value.textContent = Halm.duration(left); return; }
      value.textContent = 'elapsed';
      node.querySelector('.countdown-label').textContent = 'Veto window ';
      var card = node.closest('.proposal');
      Array.prototype.forEach.call(card.querySelectorAll('button[data-verdict="veto"]'), function (button) { button.disabled = true; button.title = 'The veto window has elapsed'; });
    });
    Array.prototype.forEach.call(approvalsList.querySelectorAll('[data-since]'), function (node) {
      node.querySelector('.countdown-value').textContent = Halm.duration(now - Date.parse(node.getAttribute('data-since')));
    });
  };
  setInterval(tickCountdowns, 1000);

  var VERDICTS = {
    approve: { label: 'Approve', past: 'Approved', kind: 'good' },
    reject: { label: 'Reject', past: 'Rejected', kind: 'danger' },
    veto: { label: 'Veto', past: 'Vetoed', kind: 'danger' }
  };

  var proposalCard = function (proposal) {
    var held = proposal.lifecycle === 'HELD_FOR_VETO';
    var id = proposal.proposalId;
    var canDecide = hasRole(['approver']);
    var context = proposal.context || {};
    var button = function (verdict) {
      var spec = VERDICTS[verdict];
      var node = el('button', {
        type: 'button', 'class': 'small ' + spec.kind, 'data-verdict': verdict, 'data-testid': verdict + '-' + id,
        disabled: !canDecide, title: canDecide ? null : 'Needs the approver role'
      }, [spec.label]);
      node.addEventListener('click', function () { decide(proposal, verdict, node.closest('.proposal')); });
      return node;
    };
    return el('article', { 'class': 'card proposal', 'data-proposal-id': id, 'data-lifecycle': proposal.lifecycle, 'data-testid': 'proposal-' + id }, [
      el('div', { 'class': 'proposal-head' }, [
        Halm.pill(held ? 'info' : 'warn', held ? 'Held for veto' : 'Waiting for approval', 'lifecycle-' + id),
        el('code', { 'class': 'proposal-type' }, [String(proposal.type)]),
        el('span', { 'class': 'mono muted proposal-id' }, [id])
      ]),
      held && proposal.vetoDeadline ? countdownOf(proposal) : waitingOf(proposal),
      el('ul', { 'class': 'reasons' }, (proposal.reasons || []).map(function (reason) { return el('li', {}, [String(reason)]); })),
      facts([
        ['Payload', el('pre', { 'class': 'payload' }, [el('code', {}, [compact(proposal.payload)])])],
        context.agentId ? ['Agent', String(context.agentId)] : null,
        typeof context.confidenceScore === 'number' ? ['Confidence', String(context.confidenceScore)] : null,
        ['Decided', Halm.time(proposal.decidedAt)]
      ]),
      el('div', { 'class': 'actions' }, held ? [button('veto')] : [button('approve'), button('reject')])
    ]);
  };

  var renderApprovals = function (proposals) {
    var open = proposals.filter(function (proposal) { return !settled[proposal.proposalId]; });
    Object.keys(settled).forEach(function (id) {
      if (!proposals.some(function (proposal) { return proposal.proposalId === id; })) delete settled[id];
    });
    var count = byId('approvals-count');
    count.textContent = String(open.length);
    count.hidden = open.length === 0;
    // Redraw only when the list changed, so a poll never takes a button from under the pointer.
    var shown = open.map(function (proposal) { return proposal.proposalId + ':' + proposal.lifecycle; }).join(',') + '|' + hasRole(['approver']);
    if (shown === approvalsShown) return;
    approvalsShown = shown;
    if (open.length === 0) { Halm.replace(approvalsList, [el('p', { 'class': 'empty' }, ['Nothing waits for a human: no proposal is pending approval or held for a veto.'])]); return; }
    Halm.replace(approvalsList, open.map(proposalCard));
    tickCountdowns();
  };

  var loadApprovals = function () {
    return call('GET', '/api/kernel/proposals?lifecycle=PENDING_APPROVAL,HELD_FOR_VETO&limit=200').then(function (answer) {
      if (!answer.ok || !answer.body || !Array.isArray(answer.body.proposals)) {
        approvalsShown = '';
        Halm.replace(approvalsList, [el('p', { 'class': 'notice notice-bad' }, [unavailable(answer, 'The pending proposals')])]);
        return;
      }
      renderApprovals(answer.body.proposals);
      updated('approvals');
    });
  };

  var decide = function (proposal, verdict, card) {
    var spec = VERDICTS[verdict];
    var summary = proposal.type + ' ' + proposal.proposalId + ': ' + (proposal.reasons || []).join('; ');
    askReason(spec.label + ' this proposal?', summary, spec.label, spec.kind).then(function (reason) {
      if (reason === null) return undefined;
      Array.prototype.forEach.call(card.querySelectorAll('button'), function (button) { button.disabled = true; });
      var message = byId('approvals-message');
      return call('POST', '/api/kernel/proposals/' + encodeURIComponent(proposal.proposalId) + '/' + verdict, { reason: reason }).then(function (answer) {
        if (answer.ok && answer.body) {
          settled[proposal.proposalId] = answer.body.lifecycle;
          notice(message, '', spec.past + ' ' + proposal.proposalId + ': now ' + answer.body.lifecycle + ', recorded as ' + answer.body.event.type + ' at ledger height ' + answer.body.event.height + '.');
        } else {
          notice(message, 'bad', 'Could not ' + verdict + ' ' + proposal.proposalId + '. ' + Halm.problemText(answer));
        }
        approvalsShown = '';
        return loadApprovals();
      });
    });
  };

  // ── lockdown ──
  var lockdownState = null;
  var lockdownRecord = function (record) {
    var since = Date.now() - Date.parse(record.engagedAt);
    return el('div', { 'class': 'lockdown-record', 'data-testid': 'lockdown-record-' + record.scope }, [
      facts([
        ['Scope', record.scope === 'global' ? 'global (every tenant)' : 'this tenant'],
        ['Trigger', String(record.trigger)],
        ['Reason', String(record.reason), 'lockdown-reason-' + record.scope],
        ['Engaged by', actor(record.by)],
        ['Engaged', Halm.time(record.engagedAt) + (isNaN(since) ? '' : ' (' + Halm.duration(since) + ' ago)')]
      ])
    ]);
  };

  var renderLockdown = function (view) {
    lockdownState = view;
    var records = (view.global ? [view.global] : []).concat(view.tenants || []);
    var own = (view.tenants || []).some(function (record) { return record.tenantId === session.tenantId; });
    Halm.replace(byId('lockdown-status'), [
      el('div', { 'class': 'lockdown-head' }, [
        view.active ? Halm.pill('bad', 'Lockdown in force', 'lockdown-active') : Halm.pill('good', 'No lockdown in force', 'lockdown-active'),
        el('span', { 'class': 'muted' }, [view.active ? 'Every execution is refused and no decision is ALLOW.' : 'Decisions and executions follow the policy.'])
      ])
    ].concat(records.map(lockdownRecord)));
    byId('lockdown-engage').disabled = own;
    byId('lockdown-release').disabled = !own;
    byId('lockdown-release').title = !own && view.global ? 'The global lockdown is released with the operator key' : '';
    var pill = byId('session-lockdown');
    pill.hidden = false;
    pill.className = 'pill pill-' + (view.active ? 'bad' : 'good');
    pill.textContent = view.active ? 'Lockdown in force' : 'No lockdown';
  };

  var loadLockdown = function () {
    return call('GET', '/api/admin/lockdown').then(function (answer) {
      if (answer.ok && answer.body) { renderLockdown(answer.body); updated('lockdown'); return; }
      Halm.replace(byId('lockdown-status'), [el('p', { 'class': 'notice notice-bad' }, [unavailable(answer, 'The lockdown state')])]);
    });
  };

  var changeLockdown = function (action) {
    var message = byId('lockdown-message');
    var reason = byId('lockdown-reason').value.trim();
    if (!reason) { notice(message, 'bad', 'A reason is required: it is recorded in the ledger.'); byId('lockdown-reason').focus(); return; }
    var path = action === 'engage' ? '/api/admin/lockdown' : '/api/admin/lockdown/release';
    byId('lockdown-engage').disabled = true;
    byId('lockdown-release').disabled = true;
    notice(message, '', action === 'engage' ? 'Engaging…' : 'Releasing…');
    call('POST', path, { scope: 'tenant', reason: reason }).then(function (answer) {
      if (answer.ok && answer.body) {
        byId('lockdown-reason').value = '';
        if (action === 'engage') notice(message, answer.body.engaged ? 'bad' : 'warn', answer.body.engaged ? 'Lockdown engaged and recorded in the ledger.' : 'A lockdown was already in force; nothing changed.');
        else notice(message, answer.body.released ? '' : 'warn', answer.body.released ? 'Lockdown released and recorded in the ledger.' : 'No lockdown of this tenant was in force; nothing changed.');
      } else {
        notice(message, 'bad', 'Could not ' + action + ' the lockdown. ' + Halm.problemText(answer));
      }
      return loadLockdown();
    });
  };
  byId('lockdown-engage').addEventListener('click', function () { changeLockdown('engage'); });
  byId('lockdown-release').addEventListener('click', function () { changeLockdown('release'); });
  byId('lockdown-form').addEventListener('submit', function (event) { event.preventDefault(); });

  // ── incidents ──
  var incidentCard = function (incident) {
    var evidence = incident.evidence || {};
    var events = Array.isArray(evidence.events) ? evidence.events : [];
    var rest = {};
    Object.keys(evidence).forEach(function (key) { if (key !== 'events') rest[key] = evidence[key]; });
    return el('article', { 'class': 'card incident', 'data-testid': 'incident-' + incident.incidentId }, [
      el('div', { 'class': 'proposal-head' }, [
        Halm.pill(incident.status === 'OPEN' ? 'bad' : 'good', String(incident.status)),
        el('code', {}, [String(incident.invariant)]),
        el('span', { 'class': 'mono muted' }, [String(incident.incidentId)])
      ]),
      el('p', {}, [String(incident.summary || '')]),
      el('p', { 'class': 'muted' }, ['Opened ' + Halm.time(incident.openedAt)]),
      events.length === 0 ? null : table('Evidence events of ' + incident.incidentId, ['Height', 'Event', 'Hash', 'Problem'], events.map(function (entry) {
        // An event the finding is about may have no height, id or hash (a message that is no event at all).
        var where = '—';
        if (typeof entry.height === 'number') {
          where = el('button', { type: 'button', 'class': 'linkish', title: 'Verify it in the ledger explorer', 'data-testid': 'evidence-' + entry.height }, [String(entry.height)]);
          where.addEventListener('click', function () { selectTab('ledger'); openProof(entry.height); });
        }
        return el('tr', {}, [
          el('td', {}, [where]),
          el('td', { 'class': 'mono' }, [entry.eventId ? String(entry.eventId) : '—']),
          el('td', {}, [entry.hash ? short(entry.hash) : '—']),
          el('td', {}, [String(entry.problem)])
        ]);
      }), 'evidence-' + incident.incidentId),
      Object.keys(rest).length === 0 ? null : el('details', {}, [el('summary', {}, ['More evidence']), el('pre', {}, [el('code', {}, [pretty(rest)])])])
    ]);
  };

  var loadIncidents = function () {
    return call('GET', '/api/audit/incidents').then(function (answer) {
      var list = byId('incidents-list');
      if (!answer.ok || !answer.body || !Array.isArray(answer.body.incidents)) {
        Halm.replace(list, [el('p', { 'class': 'notice notice-warn', 'data-testid': 'incidents-unavailable' }, [unavailable(answer, 'Incidents')])]);
        return;
      }
      var incidents = answer.body.incidents;
      var open = incidents.filter(function (incident) { return incident.status === 'OPEN'; }).length;
      var count = byId('incidents-count');
      count.textContent = String(open);
      count.hidden = open === 0;
      Halm.replace(list, incidents.length === 0 ? [el('p', { 'class': 'empty' }, ['No incidents: every invariant has held.'])] : incidents.map(incidentCard));
      updated('incidents');
    });
  };

  // ── ledger explorer ──
  var eventsBody = byId('events-body');
  var proofView = byId('proof-view');
  var checkpointKeys = null;
  var eventsRange = { from: 1, to: undefined };

  var loadEvents = function () {
    var query = '?fromHeight=' + eventsRange.from + (eventsRange.to ? '&toHeight=' + eventsRange.to : '');
    var meta = byId('events-meta');
    meta.textContent = 'Loading…';
    return call('GET', '/api/audit/events' + query).then(function (answer) {
      if (!answer.ok || !answer.body) {
        Halm.clear(eventsBody);
        meta.textContent = unavailable(answer, 'The events');
        return;
      }
      var events = answer.body.events || [];
      Halm.replace(eventsBody, events.map(function (entry) {
        var event = entry.event;
        var verify = el('button', { type: 'button', 'class': 'secondary small', 'data-testid': 'proof-' + event.height }, ['Verify']);
        verify.addEventListener('click', function () { openProof(event.height); });
        return el('tr', { 'data-height': event.height, 'data-testid': 'event-' + event.height }, [
          el('td', { 'class': 'mono' }, [String(event.height)]),
          el('td', {}, [el('code', {}, [String(event.type)])]),
          el('td', { title: String(event.recordedAt) }, [Halm.shortTime(event.recordedAt)]),
          el('td', {}, [short(event.hash)]),
          el('td', {}, [verify])
        ]);
      }));
      var first = events.length ? events[0].event.height : null;
      var last = events.length ? events[events.length - 1].event.height : null;
      meta.textContent = events.length === 0
        ? 'No events in this range; the ledger holds ' + answer.body.projectedHeight + '.'
        : 'Heights ' + first + '–' + last + ' of the ' + answer.body.projectedHeight + ' events the ledger holds.';
      var next = byId('events-next');
      next.hidden = answer.body.next === null || answer.body.next === undefined;
      next.onclick = function () { eventsRange.from = answer.body.next; byId('events-from').value = String(answer.body.next); loadEvents(); };
      updated('ledger');
    });
  };

  byId('events-form').addEventListener('submit', function (event) {
    event.preventDefault();
    try {
      eventsRange = { from: height('events-from', 'From height') || 1, to: height('events-to', 'To height') };
    } catch (error) {
      byId('events-meta').textContent = error.message;
      return;
    }
    loadEvents();
  });

  var keysOnce = function () {
    if (checkpointKeys) return Promise.resolve(checkpointKeys);
    return call('GET', '/api/audit/keys').then(function (answer) {
      if (answer.ok && answer.body && Array.isArray(answer.body.checkpointKeys)) checkpointKeys = answer.body.checkpointKeys;
      return checkpointKeys || [];
    });
  };

  var check = function (passed, text, testId) {
    var mark = passed === true ? '✓' : passed === false ? '✗' : '–';
    return el('li', { 'class': 'check check-' + (passed === true ? 'good' : passed === false ? 'bad' : 'unknown'), 'data-testid': testId }, [
      el('span', { 'class': 'check-mark', 'aria-hidden': 'true' }, [mark]),
      el('span', {}, [text])
    ]);
  };

  var openProof = function (eventHeight) {
    Halm.replace(proofView, [el('h3', {}, ['Event at height ' + eventHeight]), el('p', { 'class': 'empty' }, ['Fetching its inclusion proof…'])]);
    Array.prototype.forEach.call(eventsBody.querySelectorAll('tr'), function (row) { row.classList.toggle('selected', Number(row.getAttribute('data-height')) === eventHeight); });
    return call('GET', '/api/audit/events/' + encodeURIComponent(eventHeight)).then(function (answer) {
      if (!answer.ok || !answer.body) {
        Halm.replace(proofView, [el('h3', {}, ['Event at height ' + eventHeight]), el('p', { 'class': 'notice notice-bad' }, [unavailable(answer, 'The proof')])]);
        return undefined;
      }
      var body = answer.body;
      if (!HalmProof.available) {
        Halm.replace(proofView, [el('h3', {}, ['Event at height ' + eventHeight]), Halm.pill('warn', 'Not verified: this browser offers no WebCrypto here (it needs HTTPS or localhost)', 'proof-verdict')]);
        return undefined;
      }
      return Promise.all([HalmProof.verifyInclusion(body), keysOnce()]).then(function (results) {
        var result = results[0];
        var key = results[1].filter(function (candidate) { return candidate.keyId === body.checkpoint.keyId; })[0];
        var signature = key ? HalmProof.checkpointSignature(body.checkpoint, key.publicKey) : Promise.resolve(undefined);
        return signature.then(function (signed) {
          var event = body.event;
          var checkpoint = body.checkpoint;
          var verdict = result.verified
            ? Halm.pill('good', 'Verified against checkpoint of size ' + checkpoint.treeSize, 'proof-verdict')
            : Halm.pill('bad', 'Not verified against checkpoint of size ' + checkpoint.treeSize, 'proof-verdict');
          proofView.setAttribute('data-verified', String(result.verified));
          // The proof may rest on a checkpoint signed just now for it, which the list's projection may not hold yet.
          loadCheckpoints(checkpoint);
          Halm.replace(proofView, [
            el('h3', {}, ['Event at height ' + event.height]),
            verdict,
            el('ul', { 'class': 'checks' }, [
              check(result.eventHashValid, 'Event hash: SHA-256 of the event, recomputed here, is its recorded hash', 'check-event-hash'),
              check(result.leafHashMatches, 'Leaf hash: SHA-256(0x00 ‖ event), recomputed here, is the ledger\'s leaf ' + (event.height - 1), 'check-leaf-hash'),
              check(result.rootMatches && result.treeSizeMatches && result.leafIndexMatches, 'Audit path: ' + body.proof.hashes.length + ' hashes lead from the leaf to the root of the tree of ' + checkpoint.treeSize + ' events', 'check-root'),
              check(signed === undefined ? null : signed, signed === true ? 'Checkpoint signed by key ' + checkpoint.keyId + ' (Ed25519)' : signed === false ? 'Checkpoint signature does not hold for key ' + checkpoint.keyId : signed === null ? 'Checkpoint signature not checked: this browser has no Ed25519' : 'Checkpoint signature not checked: key ' + checkpoint.keyId + ' is not among the ledger\'s keys', 'check-signature')
            ]),
            facts([
              ['Type', el('code', {}, [String(event.type)])],
              ['Event id', el('span', { 'class': 'mono' }, [String(event.eventId)])],
              ['Recorded', Halm.time(event.recordedAt)],
              ['Hash', el('span', { 'class': 'hash' }, [String(event.hash)])],
              ['Previous hash', el('span', { 'class': 'hash' }, [String(event.prevHash)])],
              ['Leaf hash', el('span', { 'class': 'hash' }, [result.leafHash])],
              ['Root hash', el('span', { 'class': 'hash', 'data-testid': 'proof-root' }, [String(checkpoint.rootHash)])],
              ['Checkpoint', 'size ' + checkpoint.treeSize + ', issued ' + Halm.time(checkpoint.issuedAt)]
            ]),
            el('details', {}, [el('summary', {}, ['Audit path (' + body.proof.hashes.length + ' hashes)']), el('ol', { 'class': 'audit-path' }, body.proof.hashes.map(function (hash) { return el('li', { 'class': 'hash' }, [String(hash)]); }))]),
            el('details', {}, [el('summary', {}, ['Event']), el('pre', {}, [el('code', {}, [pretty(event)])])])
          ]);
        });
      }).catch(function (error) {
        Halm.replace(proofView, [el('h3', {}, ['Event at height ' + eventHeight]), Halm.pill('bad', 'Not verified: ' + error.message, 'proof-verdict')]);
      });
    });
  };

  /** The latest signed checkpoints, with one just answered by the API that their projection may not list yet. */
  var loadCheckpoints = function (known) {
    return call('GET', '/api/audit/checkpoints?limit=20').then(function (answer) {
      var body = byId('checkpoints-body');
      if (!answer.ok || !answer.body) { Halm.replace(body, [el('tr', {}, [el('td', { colspan: '4' }, [unavailable(answer, 'The checkpoints')])])]); return; }
      var checkpoints = (answer.body.checkpoints || []).slice();
      if (known && known.signature && !checkpoints.some(function (checkpoint) { return checkpoint.signature === known.signature; })) {
        checkpoints.push(known);
        checkpoints.sort(function (left, right) { return right.treeSize - left.treeSize || (right.issuedAt > left.issuedAt ? 1 : -1); });
      }
      if (checkpoints.length === 0) { Halm.replace(body, [el('tr', {}, [el('td', { colspan: '4', 'class': 'empty' }, ['No checkpoint yet: the ledger signs them on a schedule, or now with the button above.'])])]); return; }
      Halm.replace(body, checkpoints.map(function (checkpoint) {
        return el('tr', { 'data-testid': 'checkpoint-' + checkpoint.treeSize }, [
          el('td', { 'class': 'mono' }, [String(checkpoint.treeSize)]),
          el('td', {}, [short(checkpoint.rootHash)]),
          el('td', { title: String(checkpoint.issuedAt) }, [Halm.shortTime(checkpoint.issuedAt)]),
          el('td', { 'class': 'mono' }, [String(checkpoint.keyId)])
        ]);
      }));
    });
  };
  byId('checkpoints-refresh').addEventListener('click', function () { loadCheckpoints(); });
  byId('checkpoints-sign').addEventListener('click', function () {
    call('POST', '/api/audit/checkpoints').then(function (answer) {
      if (!answer.ok) byId('ledger-updated').textContent = 'Could not sign a checkpoint. ' + Halm.problemText(answer);
      return loadCheckpoints(answer.ok ? answer.body : undefined);
    });
  });

  // ── replay and what-if ──
  var verdictKind = { PASS: 'good', FAIL: 'bad', UNKNOWN: 'unknown' };
  var countPill = function (kind, label, value, testId) { return el('span', { 'class': 'pill pill-' + kind, 'data-testid': testId }, [label + ' ' + value]); };
  var ROW_LIMIT = 500;

  var rangeBody = function (fromId, toId) {
    var body = {};
    var from = height(fromId, 'From height');
    var to = height(toId, 'To height');
    if (from !== undefined) body.fromHeight = from;
    if (to !== undefined) body.toHeight = to;
    return body;
  };

  byId('replay-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var result = byId('replay-result');
    var body;
    try { body = rangeBody('replay-from', 'replay-to'); } catch (error) { Halm.replace(result, [el('p', { 'class': 'notice notice-bad' }, [error.message])]); return; }
    Halm.replace(result, [el('p', { 'class': 'empty' }, ['Replaying…'])]);
    call('POST', '/api/audit/replay', body).then(function (answer) {
      if (!answer.ok || !answer.body || !answer.body.summary) { Halm.replace(result, [el('p', { 'class': 'notice notice-warn', 'data-testid': 'replay-unavailable' }, [unavailable(answer, 'Replay')])]); return; }
      var summary = answer.body.summary;
      var results = (answer.body.results || []).slice().sort(function (left, right) {
        var rank = { FAIL: 0, UNKNOWN: 1, PASS: 2 };
        return (rank[left.verdict] - rank[right.verdict]) || (left.height - right.height);
      });
      Halm.replace(result, [
        el('div', { 'class': 'summary-row' }, [
          el('strong', { 'data-testid': 'replay-total' }, [summary.total + ' decisions replayed']),
          countPill('good', 'PASS', summary.pass, 'replay-pass'),
          countPill('bad', 'FAIL', summary.fail, 'replay-fail'),
          countPill('unknown', 'UNKNOWN', summary.unknown, 'replay-unknown')
        ]),
        results.length === 0 ? null : table('Replayed decisions', ['Height', 'Proposal', 'Verdict', 'Differences'], results.slice(0, ROW_LIMIT).map(function (entry) {
          var differences = (entry.differences || []).map(function (difference) {
            return el('li', {}, [el('code', {}, [String(difference.field)]), ': recorded ' + JSON.stringify(difference.recorded) + ', replayed ' + JSON.stringify(difference.replayed)]);
          });
          return el('tr', {}, [
            el('td', { 'class': 'mono' }, [String(entry.height)]),
            el('td', { 'class': 'mono' }, [String(entry.proposalId)]),
            el('td', {}, [Halm.pill(verdictKind[entry.verdict] || 'unknown', String(entry.verdict))]),
            el('td', {}, differences.length ? [el('ul', { 'class': 'differences' }, differences)] : [entry.reason ? String(entry.reason) : '—'])
          ]);
        }), 'replay-table'),
        results.length > ROW_LIMIT ? el('p', { 'class': 'muted' }, ['Showing the first ' + ROW_LIMIT + ' of ' + results.length + ' results, failures first.']) : null
      ]);
    });
  });

  var decisionCell = function (side) {
    side = side || {};
    return el('td', {}, [statusPill(side.status), el('ul', { 'class': 'reasons compact' }, (side.reasons || []).map(function (reason) { return el('li', {}, [String(reason)]); }))]);
  };

  byId('whatif-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var result = byId('whatif-result');
    var text = byId('whatif-manifest').value.trim();
    var body;
    try {
      if (!text) throw new Error('Paste a candidate manifest first (YAML or JSON).');
      body = rangeBody('whatif-from', 'whatif-to');
    } catch (error) { Halm.replace(result, [el('p', { 'class': 'notice notice-bad' }, [error.message])]); return; }
    var parsed = null;
    try { parsed = JSON.parse(text); } catch (ignored) { parsed = null; }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body.manifest = parsed; else body.source = text;
    Halm.replace(result, [el('p', { 'class': 'empty' }, ['Replaying against the candidate…'])]);
    call('POST', '/api/audit/what-if', body).then(function (answer) {
      if (!answer.ok || !answer.body || !answer.body.summary) { Halm.replace(result, [el('p', { 'class': 'notice notice-warn', 'data-testid': 'whatif-unavailable' }, [unavailable(answer, 'What-if')])]); return; }
      var summary = answer.body.summary;
      var changes = answer.body.changes || [];
      Halm.replace(result, [
        el('div', { 'class': 'summary-row' }, [
          el('strong', { 'data-testid': 'whatif-examined' }, [summary.examined + ' decisions examined']),
          countPill(summary.changed > 0 ? 'warn' : 'good', 'changed', summary.changed, 'whatif-changed')
        ]),
        changes.length === 0 ? el('p', { 'class': 'empty' }, ['No past decision would change under the candidate.']) : table('Decisions the candidate would change', ['Height', 'Proposal', 'Type', 'Recorded', 'Candidate'], changes.slice(0, ROW_LIMIT).map(function (change) {
          return el('tr', {}, [
            el('td', { 'class': 'mono' }, [String(change.height)]),
            el('td', { 'class': 'mono' }, [String(change.proposalId)]),
            el('td', {}, [el('code', {}, [String(change.type)])]),
            decisionCell(change.recorded),
            decisionCell(change.candidate)
          ]);
        }), 'whatif-table')
      ]);
    });
  });

  // ── tabs ──
  var shown = {};
  var onShow = {
    ledger: function () { loadEvents(); loadCheckpoints(); }
  };
  var selectTab = function (id, focus) {
    tabs.forEach(function (tab) {
      var on = tab.getAttribute('data-section') === id;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    sections.forEach(function (section) { section.hidden = section.getAttribute('data-section') !== id; });
    if (history.replaceState) history.replaceState(null, '', '#' + id);
    var section = byId('section-' + id);
    if (!shown[id] && onShow[id] && hasRole(rolesOf(section))) { shown[id] = true; onShow[id](); }
  };
  tabs.forEach(function (tab, index) {
    tab.addEventListener('click', function () { selectTab(tab.getAttribute('data-section')); });
    tab.addEventListener('keydown', function (event) {
      var target = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (target === undefined) return;
      event.preventDefault();
      selectTab(tabs[(target + tabs.length) % tabs.length].getAttribute('data-section'), true);
    });
  });

  // ── sign in and out ──
  var loginForm = byId('login-form');
  var loginKey = byId('login-key');
  var loginError = byId('login-error');

  var showConsole = function () {
    generation += 1;
    byId('login-view').hidden = true;
    byId('console-view').hidden = false;
    byId('session-tenant').textContent = session.tenantId;
    byId('session-key').textContent = session.keyId;
    byId('session-roles').textContent = session.roles.join(', ') || 'none';
    sections.forEach(function (section) {
      var roles = rolesOf(section);
      var id = section.getAttribute('data-section');
      var allowed = hasRole(roles);
      var note = byId(id + '-role-note');
      section.querySelector('.section-body').hidden = !allowed;
      if (!allowed) notice(note, 'warn', 'This section needs ' + either(roles) + '; this key has ' + (session.roles.join(', ') || 'no role') + '.');
      else if (id === 'approvals' && !hasRole(['approver'])) notice(note, 'warn', 'This key can see what waits but not decide: approving, rejecting and vetoing need the approver role.');
      else notice(note, '', '');
      var tab = byId('tab-' + id);
      tab.classList.toggle('tab-locked', !allowed);
      tab.title = allowed ? '' : 'Needs ' + either(roles);
    });
    var usable = sections.filter(function (section) { return hasRole(rolesOf(section)); }).map(function (section) { return section.getAttribute('data-section'); });
    var wanted = location.hash.replace('#', '');
    shown = {};
    selectTab(usable.indexOf(wanted) >= 0 ? wanted : (usable[0] || 'approvals'));
    if (hasRole(['approver', 'admin', 'auditor'])) poll(loadApprovals, every.approvals);
    if (hasRole(['admin'])) poll(loadLockdown, every.lockdown);
    if (hasRole(['auditor', 'admin'])) poll(loadIncidents, every.incidents);
    root.setAttribute('data-signed-in', 'true');
  };

  var signOut = function (why) {
    generation += 1;
    session = null;
    storage.remove();
    approvalsShown = '';
    settled = {};
    checkpointKeys = null;
    Halm.replace(approvalsList, [el('p', { 'class': 'empty' }, ['Loading…'])]);
    Halm.replace(proofView, [el('h3', {}, ['Inclusion proof']), el('p', { 'class': 'empty' }, ['Pick an event to fetch its inclusion proof and verify it here, in your browser.'])]);
    Halm.clear(eventsBody);
    ['approvals-message', 'lockdown-message'].forEach(function (id) { notice(byId(id), '', ''); });
    ['replay-result', 'whatif-result'].forEach(function (id) { Halm.clear(byId(id)); });
    byId('session-lockdown').hidden = true;
    byId('console-view').hidden = true;
    byId('login-view').hidden = false;
    root.removeAttribute('data-signed-in');
    loginError.textContent = why || '';
    loginError.hidden = !why;
    loginKey.value = '';
    loginKey.focus();
  };

  var signIn = function (key) {
    byId('login-submit').disabled = true;
    loginError.hidden = true;
    return Halm.request('GET', '/api/console/session', key).then(function (answer) {
      byId('login-submit').disabled = false;
      if (answer.ok && answer.body && Array.isArray(answer.body.roles)) {
        session = { key: key, tenantId: String(answer.body.tenantId), keyId: String(answer.body.keyId), roles: answer.body.roles.map(String) };
        storage.set(key);
        loginKey.value = '';
        showConsole();
        return;
      }
      storage.remove();
      loginError.textContent = answer.status === 401 ? 'This key is unknown or revoked.' : 'Could not sign in. ' + Halm.problemText(answer);
      loginError.hidden = false;
      loginKey.focus();
    });
  };

  loginForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var key = loginKey.value.trim();
    if (!key) { loginError.textContent = 'Enter an API key.'; loginError.hidden = false; loginKey.focus(); return; }
    signIn(key);
  });
  byId('logout').addEventListener('click', function () { signOut(''); });

  var remembered = storage.get();
  if (remembered) signIn(remembered); else loginKey.focus();
  root.setAttribute('data-ready', 'true');
})();
`;
