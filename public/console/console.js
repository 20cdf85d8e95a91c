// Operator console: plain DOM, no framework. Everything shown comes from the admin API of this
// connector; values are always inserted as text, never as HTML. The admin key lives in sessionStorage.
;(() => {
  const $ = (id) => document.getElementById(id)
  const store = window.sessionStorage
  const session = { tenant: store.getItem('console.tenant') || '', key: store.getItem('console.key') || '' }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'onclick') node.addEventListener('click', v)
      else if (k === 'class') node.className = v
      else if (v !== undefined && v !== null) node.setAttribute(k, v)
    }
    for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(c ?? ''))
    return node
  }

  function say(text, kind = 'ok') {
    const s = $('status')
    s.textContent = text
    s.className = `status ${kind}`
  }

  class ApiError extends Error {
    constructor(status, body) {
      super(body?.error?.message || `HTTP ${status}`)
      this.status = status
      this.code = body?.error?.code || 'ERROR'
    }
  }

  /** One admin API call; `send` is `{ body, type }` for a request body. `raw` keeps the Response's body unread. */
  async function api(path, method = 'GET', send = null, raw = false) {
    const headers = { 'x-api-key': session.key }
    if (send) headers['content-type'] = send.type
    const res = await fetch(`/v1/tenants/${encodeURIComponent(session.tenant)}${path}`, {
      method,
      headers,
      body: send ? send.body : undefined,
      cache: 'no-store',
    })
    if (raw && res.ok) return { status: res.status, res }
    const body = res.status === 204 ? null : await res.json().catch(() => null)
    if (!res.ok) throw new ApiError(res.status, body)
    return { status: res.status, body }
  }

  /** Run an action from a button: disable it meanwhile, and always show the outcome. */
  async function act(button, label, fn) {
    if (button) button.disabled = true
    say(`${label}…`, 'ok')
    try {
      const message = await fn()
      // A loader may return { text, kind } to report a partial answer as an error.
      if (message && typeof message === 'object') say(message.text, message.kind)
      else say(message || `${label}: done`, 'ok')
    } catch (e) {
      if (e.status === 401) return signOut('Wrong tenant or admin key, or the key was revoked.')
      say(`${label} failed: ${e.message}${e.code ? ` (${e.code})` : ''}`, 'error')
    } finally {
      if (button) button.disabled = false
    }
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—')
  const pill = (text) => el('span', { class: `pill ${text}` }, text ?? '—')
  /** Phone numbers are masked unless the operator asks to see them: +1415*****23. */
  const maskPhones = (text) =>
    text.replace(/\+\d{6,15}/g, (m) => `${m.slice(0, 5)}${'*'.repeat(m.length - 7)}${m.slice(-2)}`)

  function table(id, headers, rows, empty) {
    const t = $(id)
    t.replaceChildren(
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          headers.map((h) =>
            typeof h === 'string'
              ? el('th', { scope: 'col' }, h)
              : el('th', { scope: 'col', class: h.class }, h.text),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        rows.length ? rows : el('tr', {}, el('td', { class: 'empty', colspan: headers.length }, empty)),
      ),
    )
  }

  function query(form, extra = {}) {
    const p = new URLSearchParams()
    for (const [k, v] of new FormData(form)) if (v) p.set(k, String(v).trim())
    for (const [k, v] of Object.entries(extra)) if (v) p.set(k, v)
    return p.toString()
  }

  // ---- Dashboard ---------------------------------------------------------------------------
  let chart
  const total = (counts, keys) =>
    Object.entries(counts).reduce((n, [k, v]) => (!keys || keys.includes(k) ? n + v : n), 0)

  async function loadDashboard() {
    const { body } = await api('/stats?bucket=hour')
    const b = body.buckets
    const deliveries = b.map((x) => total(x.deliveries))
    const events = b.map((x) => total(x.events))
    const problems = b.map(
      (x) =>
        total(x.deliveries, ['queued', 'rejected', 'dead', 'expired', 'uncertain']) +
        total(x.events, ['failed', 'dead', 'queued']),
    )
    const sum = (a) => a.reduce((n, v) => n + v, 0)
    const card = (label, value, alert) =>
      el(
        'div',
        { class: `count${alert && value > 0 ? ' alert' : ''}` },
        el('b', {}, String(value)),
        el('span', {}, label),
      )
    $('counts').replaceChildren(
      card('Failed requests pending', body.pending.failed_requests, true),
      card('Uncertain sends', body.pending.uncertain, true),
      card('Deliveries, 24 h', sum(deliveries)),
      card('Webhook events, 24 h', sum(events)),
    )
    // Each hour's counts sit in the middle of that hour.
    drawChart([b.map((x) => Date.parse(x.at) / 1000 + 1800), deliveries, events, problems])
    renderProviders((await api('/stats/providers')).body.items)
  }

  const percent = (n) => (n == null ? '—' : `${n} %`)
  /** Seconds as "42 s" or "3 min 5 s". */
  const duration = (s) => {
    if (s == null) return '—'
    if (s < 60) return `${Math.round(s * 10) / 10} s`
    const m = Math.floor(s / 60)
    return `${m} min ${Math.round(s - m * 60)} s`
  }

  function renderProviders(items) {
    table(
      'providers-table',
      [
        'Provider',
        { text: 'Sends', class: 'num' },
        { text: 'Delivered', class: 'num' },
        { text: 'Median time to receipt', class: 'num' },
        { text: 'No receipt after 5 min', class: 'num' },
      ],
      items.map((p) =>
        el(
          'tr',
          {},
          el('td', {}, p.provider),
          el('td', { class: 'num' }, String(p.sends)),
          el('td', { class: 'num' }, `${percent(p.delivered_pct)} (${p.delivered})`),
          el('td', { class: 'num' }, duration(p.median_receipt_seconds)),
          el(
            'td',
            { class: `num${p.no_receipt_after_5m > 0 ? ' alert' : ''}` },
            `${p.no_receipt_after_5m} (${percent(p.no_receipt_after_5m_pct)})`,
          ),
        ),
      ),
      'No sends in the last 15 minutes.',
    )
  }

  const bars = (align) => window.uPlot.paths.bars({ size: [0.4, 24], align })

  const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6]
  // The labels drawn on the y axis, also kept on the chart box so they can be read without the canvas.
  function countLabels(_u, splits) {
    const labels = splits.map((v) => String(v))
    $('chart').dataset.yTicks = labels.join(',')
    return labels
  }

  function drawChart(data) {
    const box = $('chart')
    const width = Math.max(280, box.clientWidth)
    const opts = {
      width,
      height: width < 500 ? 220 : 260,
      scales: {
        x: { time: true, range: (_u, min, max) => [min - 1800, max + 1800] },
        // Counts are whole numbers: start at 0, never a fractional tick.
        y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
      },
      legend: { live: false },
      // Counts per hour are bars (deliveries left, events right of the hour); problems a line over them.
      series: [
        {},
        { label: 'Deliveries', stroke: '#1f5fbf', fill: 'rgba(31,95,191,.75)', paths: bars(-1) },
        { label: 'Webhook events', stroke: '#1d7a46', fill: 'rgba(29,122,70,.75)', paths: bars(1) },
        { label: 'Problems', stroke: '#b3261e', width: 2, points: { show: false } },
      ],
      axes: [{}, { size: 40, incrs: COUNT_STEPS, values: countLabels }],
    }
    if (chart) chart.destroy()
    box.replaceChildren()
    chart = new window.uPlot(opts, data, box)
  }
  window.addEventListener('resize', () => {
    if (chart) chart.setSize({ width: Math.max(280, $('chart').clientWidth), height: chart.height })
  })

  // ---- Messages ----------------------------------------------------------------------------
  const pager = (name) => ({ cursor: null, rows: [], name })
  const pages = {
    messages: pager('messages'),
    events: pager('events'),
    failed: pager('failed'),
    optouts: pager('optouts'),
  }
  const listNames = { failed: 'failed requests', optouts: 'opt-outs' }

  async function loadList(kind, path, form, render, more) {
    const p = pages[kind]
    if (!more) {
      p.cursor = null
      p.rows = []
    }
    const { body } = await api(`${path}?${query(form, { cursor: p.cursor, limit: '25' })}`)
    p.rows.push(...body.items)
    p.cursor = body.next_cursor
    $(`${kind}-more`).hidden = !p.cursor
    render(p.rows)
    return `${p.rows.length} ${listNames[kind] || kind} shown${p.cursor ? ' (more available)' : ''}`
  }

  function renderMessages(rows) {
    table(
      'messages-table',
      ['Created', 'guid', 'Recipient', 'Provider', 'State', 'Provider status', 'Message id', ''],
      rows.map((m) =>
        el(
          'tr',
          {},
          el('td', {}, when(m.created_at)),
          el('td', { class: 'wrap' }, m.guid),
          el('td', { class: 'number' }, m.recipient ?? '—'),
          el('td', {}, m.provider),
          el('td', {}, pill(m.state)),
          el('td', {}, m.provider_status ?? '—'),
          el('td', { class: 'wrap' }, m.message_id ?? '—'),
          el(
            'td',
            {},
            el(
              'button',
              { type: 'button', class: 'secondary', onclick: (e) => openMessage(e.currentTarget, m.guid) },
              'History',
            ),
          ),
        ),
      ),
      'No delivery records match.',
    )
  }

  function openMessage(button, guid) {
    return act(button, 'Loading record', async () => {
      const { body } = await api(`/messages/${encodeURIComponent(guid)}`)
      const d = $('message-detail')
      d.hidden = false
      d.replaceChildren(
        el('h2', {}, `Record ${body.guid}`),
        el(
          'dl',
          {},
          ...[
            ['State', pill(body.state)],
            ['Provider', body.provider],
            ['Sender', body.sender ?? '—'],
            ['Provider status', body.provider_status ?? '—'],
            ['Message id', body.message_id ?? '—'],
            ['Attempts', String(body.attempts)],
            ['Updated', when(body.updated_at)],
          ].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
        ),
        body.route_attempts.length ? el('h2', {}, 'Route chain') : '',
        body.route_attempts.length
          ? el('div', { class: 'table-wrap' }, el('table', { id: 'route-table' }))
          : '',
        el('h2', {}, 'History'),
        el('div', { class: 'table-wrap' }, el('table', { id: 'history-table' })),
      )
      if (body.route_attempts.length)
        table(
          'route-table',
          ['#', 'At', 'Provider', 'Sender', 'Outcome'],
          body.route_attempts.map((a, i) =>
            el(
              'tr',
              {},
              el('td', { class: 'num' }, String(i + 1)),
              el('td', {}, when(a.at)),
              el('td', {}, a.provider),
              el('td', {}, a.sender),
              el('td', { class: 'wrap' }, outcomePill(a.outcome)),
            ),
          ),
          '',
        )
      table(
        'history-table',
        ['At', 'State', 'Detail'],
        body.history.map((h) =>
          el(
            'tr',
            {},
            el('td', {}, when(h.at)),
            el('td', {}, pill(h.state)),
            el('td', { class: 'wrap' }, h.detail ?? ''),
          ),
        ),
        'No history.',
      )
      d.focus()
      return `Record ${guid}: ${body.history.length} history entries`
    })
  }

  // ---- Events ------------------------------------------------------------------------------
  function renderEvents(rows) {
    table(
      'events-table',
      ['Received', 'Source', 'Type', 'Event key', 'State', 'Attempts', ''],
      rows.map((e) =>
        el(
          'tr',
          {},
          el('td', {}, when(e.received_at)),
          el('td', {}, e.source),
          el('td', {}, e.type),
          el('td', { class: 'wrap' }, e.event_key),
          el('td', {}, pill(e.state)),
          el('td', {}, String(e.attempts)),
          el(
            'td',
            {},
            el(
              'button',
              { type: 'button', class: 'secondary', onclick: (ev) => openEvent(ev.currentTarget, e.id) },
              'Open',
            ),
          ),
        ),
      ),
      'No events match.',
    )
  }

  function prettyBody(item) {
    if (/json/i.test(item.content_type || '') || /^\s*[{[]/.test(item.body)) {
      try {
        return JSON.stringify(JSON.parse(item.body), null, 2)
      } catch {
        /* shown as received */
      }
    }
    if (/x-www-form-urlencoded/i.test(item.content_type || '')) {
      return [...new URLSearchParams(item.body)].map(([k, v]) => `${k} = ${v}`).join('\n')
    }
    return item.body
  }

  function openEvent(button, id) {
    return act(button, 'Loading event', async () => {
      const { body } = await api(`/events/${encodeURIComponent(id)}`)
      renderEvent(body.item)
      $('event-detail').focus()
      return `Event ${body.item.event_key}: ${body.item.state}, ${body.item.tracking.length} tracking entries`
    })
  }

  function renderEvent(item) {
    const d = $('event-detail')
    const text = prettyBody(item)
    let revealed = false
    const pre = el('pre', { id: 'event-body', tabindex: '0' }, maskPhones(text))
    const reveal = el(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-pressed': 'false',
        onclick: () => {
          revealed = !revealed
          pre.textContent = revealed ? text : maskPhones(text)
          reveal.textContent = revealed ? 'Mask phone numbers' : 'Reveal phone numbers'
          reveal.setAttribute('aria-pressed', String(revealed))
          say(revealed ? 'Phone numbers revealed' : 'Phone numbers masked')
        },
      },
      'Reveal phone numbers',
    )
    const replay = el(
      'button',
      {
        type: 'button',
        onclick: (e) =>
          act(e.currentTarget, 'Replay', async () => {
            const { body } = await api(`/events/${encodeURIComponent(item.id)}/replay`, 'POST')
            renderEvent((await api(`/events/${encodeURIComponent(item.id)}`)).body.item)
            return `Replayed: ${body.status}${body.reason ? ` (${body.reason})` : ''}`
          }),
      },
      'Replay',
    )
    const handled = el(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: (e) =>
          act(e.currentTarget, 'Mark handled', async () => {
            await api(`/events/${encodeURIComponent(item.id)}/handled`, 'POST')
            renderEvent((await api(`/events/${encodeURIComponent(item.id)}`)).body.item)
            return 'Marked handled'
          }),
      },
      'Mark handled',
    )
    d.hidden = false
    d.replaceChildren(
      el('h2', {}, `Event ${item.event_key}`),
      el(
        'dl',
        {},
        ...[
          ['State', pill(item.state)],
          ['Source', item.source],
          ['Type', item.type],
          ['Message id', item.message_id ?? '—'],
          ['Attempts', String(item.attempts)],
          ['Received', when(item.received_at)],
          ['Updated', when(item.updated_at)],
        ].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
      ),
      el('div', { class: 'actions' }, replay, handled, reveal),
      pre,
      el('h2', {}, 'Tracking'),
      el('div', { class: 'table-wrap' }, el('table', { id: 'tracking-table' })),
    )
    table(
      'tracking-table',
      ['At', 'Target', 'HTTP', 'Latency', 'Outcome'],
      item.tracking.map((t) =>
        el(
          'tr',
          {},
          el('td', {}, `${when(t.at)}${t.replay ? ' (replay)' : ''}`),
          el('td', {}, t.target ?? '—'),
          el('td', {}, t.http_status == null ? '—' : String(t.http_status)),
          el('td', {}, t.latency_ms == null ? '—' : `${t.latency_ms} ms`),
          el('td', {}, pill(t.outcome)),
        ),
      ),
      'No attempts yet.',
    )
  }

  // ---- Failed requests ---------------------------------------------------------------------
  function renderFailed(rows) {
    table(
      'failed-table',
      ['Created', 'Kind', 'guid / key', 'State', 'Attempts', 'HTTP', 'Last error', ''],
      rows.map((f) =>
        el(
          'tr',
          {},
          el('td', {}, when(f.created_at)),
          el('td', {}, f.kind),
          el('td', { class: 'wrap' }, f.guid),
          el('td', {}, pill(f.state)),
          el('td', {}, String(f.attempts)),
          el('td', {}, f.http_status == null ? '—' : String(f.http_status)),
          el('td', { class: 'wrap' }, f.last_error ?? ''),
          el(
            'td',
            {},
            el(
              'div',
              { class: 'actions' },
              el(
                'button',
                {
                  type: 'button',
                  onclick: (e) =>
                    act(e.currentTarget, 'Retry', async () => {
                      const { body } = await api(`/failed-requests/${encodeURIComponent(f.id)}/retry`, 'POST')
                      await refreshFailed()
                      return `Retry of ${f.guid}: ${body.status}`
                    }),
                },
                'Retry',
              ),
              el(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  onclick: (e) => {
                    if (!window.confirm(`Discard ${f.guid}? It will not be retried.`)) return
                    act(e.currentTarget, 'Discard', async () => {
                      await api(`/failed-requests/${encodeURIComponent(f.id)}`, 'DELETE')
                      await refreshFailed()
                      return `Discarded ${f.guid}`
                    })
                  },
                },
                'Discard',
              ),
            ),
          ),
        ),
      ),
      'No failed requests in this state.',
    )
  }
  const refreshFailed = () => loadList('failed', '/failed-requests', $('failed-search'), renderFailed, false)

  // ---- Senders ----------------------------------------------------------------------------
  const perSecond = (n) => (n == null ? '—' : `${n}`)

  /** "4.95 / 10 seg/s", with the slow-down factor when the pace is reduced; "unpaced" without a pace. */
  function rateCell(s) {
    if (s.configured_mps == null) return el('td', {}, 'unpaced')
    const text = `${perSecond(s.current_mps)} / ${s.configured_mps} seg/s`
    const slowed = s.factor != null && s.factor < 1
    return el(
      'td',
      { class: 'num' },
      text,
      slowed ? ' ' : '',
      slowed ? el('span', { class: 'pill slowed' }, `×${Math.round(s.factor * 100) / 100}`) : '',
    )
  }

  function slowDownCell(s) {
    if (s.slow_downs == null) return el('td', {}, '—')
    if (!s.last_slow_down) return el('td', { class: 'muted' }, 'none')
    const total = s.slow_downs > 1 ? ` (${s.slow_downs} in all)` : ''
    return el('td', {}, pill(s.last_slow_down.reason), ` ${when(s.last_slow_down.at)}${total}`)
  }

  function renderSenders(rows) {
    table(
      'senders-table',
      [
        'Provider',
        'Sender',
        { text: 'Queued', class: 'num' },
        'Oldest queued',
        { text: 'Rate now / configured', class: 'num' },
        'Last slow-down',
      ],
      rows.map((s) =>
        el(
          'tr',
          {},
          el('td', {}, s.provider),
          el('td', {}, s.sender ?? '(default sender)'),
          el('td', { class: 'num' }, String(s.queued)),
          el('td', {}, when(s.oldest_queued_at)),
          rateCell(s),
          slowDownCell(s),
        ),
      ),
      'No sender has queued messages, and the tenant configures no senders.',
    )
  }

  async function loadSenders() {
    const { body } = await api('/senders')
    renderSenders(body.items)
    const queued = body.items.reduce((n, s) => n + s.queued, 0)
    const shownText = `${body.items.length} ${body.items.length === 1 ? 'sender' : 'senders'}, ${queued} queued`
    if (body.pacer_unavailable)
      return {
        text: `${shownText}; a pacer did not answer, its rate and slow-downs show as —`,
        kind: 'error',
      }
    return shownText
  }

  // ---- Routes: the provider breakers -------------------------------------------------------
  /** "sent" and "found" green, "skipped: …" grey, anything else (the verdict and the error) red. */
  function outcomePill(outcome) {
    const head = outcome.split(':')[0]
    const kind = head === 'sent' || head === 'found' ? 'sent' : head === 'skipped' ? 'skipped' : 'failed'
    return el('span', { class: `pill ${kind}` }, outcome)
  }

  function forceButton(b, force, label) {
    const current = b.forced === force
    return el(
      'button',
      {
        type: 'button',
        class: force === 'open' ? 'danger' : 'secondary',
        'aria-pressed': String(current),
        'data-force': force ?? 'auto',
        onclick: (e) =>
          act(e.currentTarget, label, async () => {
            const { body } = await api(`/breakers/${encodeURIComponent(b.provider)}`, 'POST', {
              body: JSON.stringify({ force }),
              type: 'application/json',
            })
            await loadBreakers()
            return `${b.provider}: ${body.item.state.replace('_', '-')}${body.item.forced ? ` (forced ${body.item.forced})` : ' (automatic)'}`
          }),
      },
      label,
    )
  }

  function renderBreakers(items) {
    table(
      'breakers-table',
      ['Provider', 'State', 'Reason', 'Since', { text: 'Faults', class: 'num' }, 'Last changes', ''],
      items.map((b) =>
        el(
          'tr',
          { 'data-provider': b.provider },
          el('td', {}, b.provider),
          el(
            'td',
            {},
            el('span', { class: `pill breaker-${b.state}` }, b.state.replace('_', '-')),
            b.forced ? ' ' : '',
            b.forced ? el('span', { class: 'pill forced' }, `forced ${b.forced}`) : '',
          ),
          el('td', { class: 'wrap' }, b.reason ?? '—'),
          el('td', {}, when(b.changed_at)),
          el('td', { class: 'num' }, String(b.faults)),
          el(
            'td',
            { class: 'wrap history' },
            b.history.length
              ? b.history
                  .slice(-3)
                  .reverse()
                  .map((h) => el('div', {}, `${when(h.at)}: ${h.from} → ${h.to}`))
              : '—',
          ),
          el(
            'td',
            {},
            el(
              'div',
              { class: 'actions' },
              forceButton(b, 'open', 'Force open'),
              forceButton(b, 'closed', 'Force closed'),
              forceButton(b, null, 'Automatic'),
            ),
          ),
        ),
      ),
      'This tenant has no routes: every message goes to the provider its creative names.',
    )
  }

  async function loadBreakers() {
    const { body } = await api('/breakers')
    renderBreakers(body.items)
    const open = body.items.filter((b) => b.state !== 'closed').length
    const text = `${body.items.length} ${body.items.length === 1 ? 'breaker' : 'breakers'}, ${open} not closed`
    if (body.breaker_unavailable)
      return { text: `${text}; a breaker did not answer and is not listed`, kind: 'error' }
    return text
  }

  // ---- Opt-outs ---------------------------------------------------------------------------
  // Numbers are masked like the event viewer's until the operator reveals them.
  let optoutsRevealed = false
  const shown = (text) => (text == null ? '—' : optoutsRevealed ? text : maskPhones(text))

  function renderOptouts(rows) {
    table(
      'optouts-table',
      ['Added', 'Number', 'Channel', 'Sender', 'Source', 'Keyword', ''],
      rows.map((o) =>
        el(
          'tr',
          {},
          el('td', {}, when(o.created_at)),
          el('td', { class: 'number' }, shown(o.address)),
          el('td', {}, o.channel),
          el('td', {}, o.sender == null ? 'every sender' : shown(o.sender)),
          el('td', {}, pill(o.source)),
          el('td', {}, o.keyword ?? '—'),
          el(
            'td',
            {},
            el(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: (e) => {
                  const who = shown(o.address)
                  if (
                    !window.confirm(
                      `Remove ${who} (${o.channel}, every sender) from the opt-out list? It may be texted again.`,
                    )
                  )
                    return
                  act(e.currentTarget, 'Remove', async () => {
                    const q = `?channel=${encodeURIComponent(o.channel)}`
                    const { body } = await api(`/suppressions/${encodeURIComponent(o.address)}${q}`, 'DELETE')
                    await refreshOptouts()
                    return `Removed ${who}: ${body.items.length} ${body.items.length === 1 ? 'entry' : 'entries'}`
                  })
                },
              },
              'Remove',
            ),
          ),
        ),
      ),
      'No opt-outs match.',
    )
  }
  const refreshOptouts = () => loadList('optouts', '/suppressions', $('optout-search'), renderOptouts, false)

  function addOptout(form, button) {
    const data = new FormData(form)
    const address = String(data.get('address') || '').trim()
    const body = { channel: data.get('channel') || 'sms' }
    const reason = String(data.get('reason') || '').trim()
    if (reason) body.reason = reason
    return act(button, 'Add', async () => {
      const { body: r } = await api(`/suppressions/${encodeURIComponent(address)}`, 'PUT', {
        body: JSON.stringify(body),
        type: 'application/json',
      })
      form.reset()
      await refreshOptouts()
      return `${shown(r.item.address)} (${r.item.channel}) ${r.created ? 'added' : 'was already listed'}`
    })
  }

  function showImport(r) {
    const box = $('import-result')
    box.hidden = false
    box.replaceChildren(
      el('p', {}, `Added ${r.added}, already listed ${r.already}, rejected ${r.rejected.length}.`),
      r.rejected.length
        ? el(
            'ul',
            { id: 'import-rejected' },
            r.rejected.map((x) => el('li', { class: 'error' }, `Line ${x.line}: ${x.reason}`)),
          )
        : '',
    )
  }

  function importOptouts(form, button) {
    const file = form.elements.file.files[0]
    if (!file) return say('Choose a CSV file first', 'error')
    return act(button, 'Import', async () => {
      const { body } = await api('/suppressions/import', 'POST', { body: file, type: 'text/csv' })
      showImport(body)
      form.reset()
      await refreshOptouts()
      return `Imported ${file.name}: ${body.added} added, ${body.rejected.length} lines rejected`
    })
  }

  function exportOptouts(button) {
    return act(button, 'Export', async () => {
      const { res } = await api('/suppressions/export', 'GET', null, true)
      const csv = await res.text()
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }))
      const a = el('a', { href: url, download: `opt-outs-${session.tenant}.csv` })
      document.body.append(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      const n = Math.max(0, csv.split('\n').filter((l) => l.trim()).length - 1)
      return `Exported ${n} entries`
    })
  }

  // ---- Navigation and session --------------------------------------------------------------
  const loaders = {
    dashboard: () => loadDashboard().then(() => 'Dashboard updated'),
    messages: () => loadList('messages', '/messages', $('message-search'), renderMessages, false),
    events: () => loadList('events', '/events', $('event-search'), renderEvents, false),
    failed: refreshFailed,
    senders: loadSenders,
    routes: loadBreakers,
    optouts: refreshOptouts,
  }

  function show(tab) {
    for (const b of document.querySelectorAll('[data-tab]'))
      b.setAttribute('aria-selected', String(b.dataset.tab === tab))
    for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${tab}`
    return act(null, 'Loading', loaders[tab])
  }

  function signOut(message) {
    store.removeItem('console.key')
    session.key = ''
    $('app').hidden = true
    $('login').hidden = false
    $('signout').hidden = true
    $('who').textContent = ''
    for (const id of [
      'counts',
      'chart',
      'messages-table',
      'events-table',
      'failed-table',
      'senders-table',
      'breakers-table',
      'providers-table',
      'optouts-table',
      'import-result',
      'message-detail',
      'event-detail',
    ])
      $(id).replaceChildren()
    if (chart) chart = chart.destroy()
    say(message || 'Signed out', message ? 'error' : 'ok')
  }

  async function signIn() {
    $('login').hidden = true
    $('app').hidden = false
    $('signout').hidden = false
    $('who').textContent = `Tenant ${session.tenant}`
    await show('dashboard')
  }

  $('login').addEventListener('submit', async (e) => {
    e.preventDefault()
    session.tenant = $('tenant').value.trim()
    session.key = $('key').value
    try {
      await api('/stats?bucket=hour')
    } catch (err) {
      session.key = ''
      return say(
        err.status === 401 ? 'Wrong tenant or admin key.' : `Sign-in failed: ${err.message}`,
        'error',
      )
    }
    store.setItem('console.tenant', session.tenant)
    store.setItem('console.key', session.key)
    $('key').value = ''
    await signIn()
  })
  $('signout').addEventListener('click', () => signOut())
  $('refresh').addEventListener('click', (e) => act(e.currentTarget, 'Refreshing', loaders.dashboard))
  $('senders-refresh').addEventListener('click', (e) => act(e.currentTarget, 'Refreshing', loaders.senders))
  $('routes-refresh').addEventListener('click', (e) => act(e.currentTarget, 'Refreshing', loaders.routes))
  for (const b of document.querySelectorAll('[data-tab]'))
    b.addEventListener('click', () => show(b.dataset.tab))
  for (const [form, kind] of [
    ['message-search', 'messages'],
    ['event-search', 'events'],
    ['failed-search', 'failed'],
    ['optout-search', 'optouts'],
  ]) {
    $(form).addEventListener('submit', (e) => {
      e.preventDefault()
      act(e.submitter, 'Searching', loaders[kind])
    })
  }
  $('messages-more').addEventListener('click', (e) =>
    act(e.currentTarget, 'Loading more', () =>
      loadList('messages', '/messages', $('message-search'), renderMessages, true),
    ),
  )
  $('events-more').addEventListener('click', (e) =>
    act(e.currentTarget, 'Loading more', () =>
      loadList('events', '/events', $('event-search'), renderEvents, true),
    ),
  )
  $('failed-more').addEventListener('click', (e) =>
    act(e.currentTarget, 'Loading more', () =>
      loadList('failed', '/failed-requests', $('failed-search'), renderFailed, true),
    ),
  )

  $('optouts-more').addEventListener('click', (e) =>
    act(e.currentTarget, 'Loading more', () =>
      loadList('optouts', '/suppressions', $('optout-search'), renderOptouts, true),
    ),
  )
  $('optouts-reveal').addEventListener('click', (e) => {
    optoutsRevealed = !optoutsRevealed
    e.currentTarget.textContent = optoutsRevealed ? 'Mask numbers' : 'Reveal numbers'
    e.currentTarget.setAttribute('aria-pressed', String(optoutsRevealed))
    renderOptouts(pages.optouts.rows)
    say(optoutsRevealed ? 'Phone numbers revealed' : 'Phone numbers masked')
  })
  $('optout-add').addEventListener('submit', (e) => {
    e.preventDefault()
    addOptout(e.currentTarget, e.submitter)
  })
  $('optout-import').addEventListener('submit', (e) => {
    e.preventDefault()
    importOptouts(e.currentTarget, e.submitter)
  })
  $('optout-export').addEventListener('click', (e) => exportOptouts(e.currentTarget))

  $('tenant').value = session.tenant
  if (session.tenant && session.key) signIn()
})()
