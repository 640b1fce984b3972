// The Marrow CDS companion app: after the SMART launch, fetch the patient's labs and imaging
// reports from the EHR with the app's own token (in this browser), ask the service to read them
// (its own unit normalisation and report reader; nothing stored there) and show the trends, the
// MRI timeline, the index report with the reader's spans and the card's decision.
'use strict';

(() => {
  const page = document.body.dataset;
  const status = document.getElementById('status');
  const CATEGORY_ORDER = ['worrisome', 'target', 'benign', 'descriptor'];
  const CATEGORY_WORDS = {
    target: 'abnormal marrow finding (target)',
    worrisome: 'worrisome feature',
    benign: 'benign modifier',
    descriptor: 'descriptor',
  };
  const MARK_WORDS = { negated: 'negated', hedged: 'hedged', historical: 'historical', uncertain: 'uncertain' };

  function say(text) { status.textContent = text; }

  function html(tag, attrs = {}, text = null) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }

  function parseAppContext(raw) {
    if (!raw) return {};
    if (typeof raw === 'object') return raw;
    try { const value = JSON.parse(raw); return value && typeof value === 'object' ? value : {}; } catch { return {}; }
  }

  async function api(path, session, body) {
    const headers = { Accept: 'application/json' };
    if (session && session.idToken) headers.Authorization = `Bearer ${session.idToken}`;
    const init = body === undefined ? { headers } : {
      method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    };
    const response = await fetch(page.api + path, init);
    if (!response.ok) throw new Error(`the Marrow CDS service answered ${response.status}`);
    return response.json();
  }

  function patientName(patient) {
    const name = (patient.name || [])[0];
    if (!name) return `Patient ${patient.id}`;
    if (name.text) return name.text;
    return [...(name.given || []), name.family || ''].join(' ').trim();
  }

  // ------------------------------------------------------------------ decision

  function renderDecision(context, catalogue) {
    const box = document.getElementById('decision-body');
    box.replaceChildren();
    const rule = catalogue.rules.find((r) => r.id === context.rule);
    if (!rule) {
      box.appendChild(html('p', {}, 'Opened without a card: no decision to show. The trends and the newest MRI are below.'));
      return;
    }
    const head = html('p', { class: 'decision-rule', 'data-rule': rule.id });
    head.appendChild(html('strong', {}, `Rule ${rule.id}: ${rule.title}.`));
    head.appendChild(document.createTextNode(` When ${rule.when}; recommend ${rule.recommend}.`));
    box.appendChild(head);
    const flags = (context.flags || []).map((id) => catalogue.flags.find((f) => f.id === id)).filter(Boolean);
    if (flags.length) {
      const list = html('ul', { class: 'flags' });
      for (const flag of flags) {
        const item = html('li', { 'data-flag': flag.id });
        item.appendChild(html('strong', {}, flag.id));
        item.appendChild(document.createTextNode(` ${flag.criterion}`));
        if (flag.thresholds.length) item.appendChild(html('span', { class: 'thresholds' }, ` (thresholds: ${flag.thresholds.join('; ')})`));
        list.appendChild(item);
      }
      box.appendChild(html('p', {}, 'Flags that produced it:'));
      box.appendChild(list);
    }
    box.appendChild(html('p', { class: 'muted' }, `Rule set ${catalogue.ruleSet}.`));
  }

  // ------------------------------------------------------------------ trends

  function renderCharts(record, years, observations) {
    const holder = document.getElementById('charts');
    holder.replaceChildren();
    const detail = document.getElementById('point-detail');
    const byRef = new Map(observations.map((o) => [`Observation/${o.id}`, o]));
    for (const chart of record.series) {
      holder.appendChild(MarrowCharts.render(chart, {
        asOf: record.asOf,
        years,
        onSelect: (series, point) => {
          detail.replaceChildren();
          detail.appendChild(html('h3', {}, `${series.label}: ${point.shown} ${series.unit}`));
          const list = html('dl');
          const add = (term, value) => {
            if (value === null || value === undefined || value === '') return;
            list.appendChild(html('dt', {}, term));
            list.appendChild(html('dd', {}, String(value)));
          };
          add('Date', point.date.slice(0, 16).replace('T', ' '));
          add('As the lab sent it', point.asSent);
          add('Reference range', point.low !== null || point.high !== null ? `${point.low ?? ''} - ${point.high ?? ''} ${series.unit}` : null);
          add('Computed from', point.derivedFrom.length ? point.derivedFrom.join(', ') : null);
          add('FHIR resource', point.reference);
          const source = byRef.get(point.reference);
          if (source) add('Test', source.code?.text || source.code?.coding?.[0]?.display);
          if (source) add('Status', source.status);
          detail.appendChild(list);
          detail.dataset.reference = point.reference;
          detail.focus();
        },
      }));
    }
  }

  // ------------------------------------------------------------------ imaging

  function renderTimeline(record) {
    const list = document.getElementById('timeline');
    list.replaceChildren();
    if (!record.imaging.length) list.appendChild(html('li', {}, 'No spine, sacrum or pelvis MRI report.'));
    for (const mri of record.imaging) {
      const item = html('li', { 'data-reference': mri.reference, 'data-class': mri.class });
      if (record.index && record.index.reference === mri.reference) item.classList.add('index');
      item.appendChild(html('time', { datetime: mri.date }, mri.date.slice(0, 10)));
      item.appendChild(document.createTextNode(` ${mri.title} `));
      item.appendChild(html('span', { class: `badge class-${mri.class}` }, mri.class));
      if (item.classList.contains('index')) item.appendChild(html('span', { class: 'muted' }, ' (the card\'s report)'));
      list.appendChild(item);
    }
  }

  function renderLegend() {
    const legend = document.getElementById('legend');
    legend.replaceChildren();
    for (const cat of CATEGORY_ORDER) legend.appendChild(html('mark', { class: `cat-${cat}` }, CATEGORY_WORDS[cat]));
    for (const [mod, words] of Object.entries(MARK_WORDS)) legend.appendChild(html('mark', { class: `cat-target mod-${mod}` }, words));
    legend.appendChild(html('mark', { class: 'size' }, 'size'));
  }

  // The text cut at every span boundary; each piece marked with every span covering it.
  function renderReport(reading) {
    const pre = document.getElementById('report');
    pre.replaceChildren();
    const facts = document.getElementById('report-facts');
    facts.replaceChildren();
    if (!reading) { pre.textContent = 'No index report to show.'; return; }
    pre.dataset.reference = reading.reference;
    pre.dataset.class = reading.class;
    const text = reading.text;
    const items = [
      ...reading.spans.filter((s) => s.start >= 0 && s.end <= text.length && s.start < s.end)
        .map((s) => ({ ...s, size: false })),
      ...reading.sizes.map((s) => ({ ...s, size: true })),
    ];
    const cuts = new Set([0, text.length]);
    for (const s of items) { cuts.add(s.start); cuts.add(s.end); }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i += 1) {
      const [a, b] = [points[i], points[i + 1]];
      const piece = text.slice(a, b);
      const covering = items.filter((s) => s.start <= a && s.end >= b);
      if (!covering.length) { pre.appendChild(document.createTextNode(piece)); continue; }
      const mark = html('mark', {}, piece);
      const features = covering.filter((s) => !s.size);
      const classes = [];
      const titles = [];
      if (features.length) {
        const cat = CATEGORY_ORDER.find((c) => features.some((f) => f.category === c));
        classes.push(`cat-${cat}`);
        for (const mod of Object.keys(MARK_WORDS)) if (features.some((f) => f[mod])) classes.push(`mod-${mod}`);
        mark.dataset.kinds = [...new Set(features.map((f) => f.kind))].join(' ');
        for (const f of features) {
          const mods = Object.keys(MARK_WORDS).filter((m) => f[m]);
          titles.push(`${f.kind} (${f.category})${mods.length ? `: ${mods.join(', ')}` : ''}`);
        }
      }
      if (covering.some((s) => s.size)) {
        classes.push('size');
        titles.push(...covering.filter((s) => s.size).map((s) => s.title));
      }
      mark.className = classes.join(' ');
      mark.title = titles.join('; ');
      pre.appendChild(mark);
    }
    const summary = html('p', {}, `Class ${reading.class}. `);
    if (reading.worrisome.length) summary.appendChild(document.createTextNode(`Worrisome features: ${reading.worrisome.join(', ')}. `));
    if (reading.lesionCount !== null) summary.appendChild(document.createTextNode(`Lesions counted: ${reading.lesionCount}. `));
    if (reading.lesionSizesMm.length) summary.appendChild(document.createTextNode(`Sizes: ${reading.lesionSizesMm.join(', ')} mm. `));
    if (reading.unreadChars) summary.appendChild(document.createTextNode(`Only the first ${reading.readingLimitChars} characters were read (${reading.unreadChars} not read).`));
    facts.appendChild(summary);
  }

  // ------------------------------------------------------------------ main

  async function main() {
    let session;
    try {
      session = await MarrowSmart.completeAuthorization();
    } catch (error) {
      say(`The launch did not complete: ${error.message}`);
      return;
    }
    if (!session) { say('Open this app from a card in the EHR (or /app/launch?iss=... for a standalone launch).'); return; }
    if (session.expiresAt < Date.now()) { say('The session has expired: open the app again from the EHR.'); return; }
    for (const type of ['Observation', 'DiagnosticReport']) {
      if (session.scope && !MarrowSmart.canRead(session.scope, type)) {
        say(`The EHR did not grant read access to ${type}: the app cannot show it.`);
        return;
      }
    }
    const context = parseAppContext(session.appContext);
    say('Reading the record\u2026');
    try {
      const catalogue = await api('catalogue');
      const years = catalogue.trendYears;
      const since = new Date(Date.now() - years * 365.25 * 86400000).toISOString().slice(0, 10);
      const pid = encodeURIComponent(session.patient);
      const codes = catalogue.labCodes.map((c) => `http://loinc.org|${c}`).join(',');
      const [patient, observations, reports] = await Promise.all([
        MarrowSmart.fhirGet(session, `Patient/${pid}`),
        MarrowSmart.fhirSearch(session, `Observation?patient=${pid}&code=${encodeURIComponent(codes)}&date=ge${since}&_count=100`),
        MarrowSmart.fhirSearch(session, `DiagnosticReport?patient=${pid}&_count=50`),
      ]);
      document.getElementById('patient').textContent =
        `${patientName(patient)} \u00b7 ${patient.gender || 'sex unknown'} \u00b7 born ${patient.birthDate || 'unknown'}`;
      const record = await api('record', session, {
        patientId: session.patient,
        patient,
        observations,
        reports,
        indexReport: context.indexReport || null,
      });
      document.getElementById('years').textContent = String(years);
      renderDecision(context, catalogue);
      renderCharts(record, years, observations);
      renderTimeline(record);
      renderLegend();
      renderReport(record.index);
      document.getElementById('main').hidden = false;
      say('');
      document.body.dataset.ready = 'true';
    } catch (error) {
      say(`The record could not be shown: ${error.message}`);
    }
  }

  main();
})();
