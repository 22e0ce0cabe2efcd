/* editor.js - the editor's view at /editor: search analytics, content gaps,
 * review dates, pins and ticket promotion.
 *
 * The editor key is asked for once and kept in sessionStorage (this tab
 * only); every request sends it as "Authorization: Bearer KEY". One
 * GET /v1/analytics/summary fills the numbers, tables and charts; pins and
 * promotion have their own routes.
 *
 * Escaping rule: nothing from the server goes through innerHTML. Text goes
 * in with textContent, and the two charts are SVG elements built here.
 */
(function () {
    'use strict';

    var KEY_STORE = 'deskdex-editor-key';
    var REQUEST_TIMEOUT_MS = 10000;
    var REPORT_LIMIT = 20;
    var HELP_ROWS = 8;
    var SVG_NS = 'http://www.w3.org/2000/svg';
    var KIND_LABEL = { manual: 'Guide', faq: 'FAQ', ticket: 'Solved ticket' };

    var ui = {};
    var key = '';
    var last = null;   /* the last summary, for redrawing charts */
    var loadSeq = 0;

    function $(id) { return document.getElementById(id); }

    /* --- helpers --- */

    function el(tag, cls, text) {
        var n = document.createElement(tag);
        if (cls) n.className = cls;
        if (text !== undefined && text !== null) n.textContent = String(text);
        return n;
    }

    function svg(tag, attrs, text) {
        var n = document.createElementNS(SVG_NS, tag);
        Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
        if (text !== undefined && text !== null) n.textContent = String(text);
        return n;
    }

    function num(n) {
        n = Number(n) || 0;
        try { return n.toLocaleString('en-GB'); } catch (e) { return String(n); }
    }

    function pct(x) {
        var p = (Number(x) || 0) * 100;
        return (p > 0 && p < 10 ? p.toFixed(1) : Math.round(p)) + '%';
    }

    function plural(n, one, many) {
        return num(n) + ' ' + (n === 1 ? one : many);
    }

    function fmtDate(v) {
        if (v === undefined || v === null || v === '') return '';
        var d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
        if (isNaN(d.getTime())) return String(v);
        return d.toISOString().slice(0, 10);
    }

    function docHref(id) { return '/#/doc/' + encodeURIComponent(id); }
    function searchHref(q) { return '/#/search?q=' + encodeURIComponent(q); }

    function docLink(id, title) {
        var a = el('a', 'ed-doc', title || id);
        a.href = docHref(id);
        a.target = '_blank';
        a.rel = 'noopener';
        var wrap = el('span', 'ed-doc-cell');
        wrap.appendChild(a);
        if (title && title !== id) wrap.appendChild(el('code', 'ed-id', id));
        return wrap;
    }

    /* Plain text to paragraphs, as the article view shows it. */
    function renderText(node, text) {
        node.textContent = '';
        String(text || '').replace(/\r\n?/g, '\n').split(/\n\s*\n/).forEach(function (block) {
            block = block.replace(/^\n+|\s+$/g, '');
            if (block) node.appendChild(el('p', null, block));
        });
    }

    function setStatus(text) { ui.status.textContent = text || ''; }

    function showError(node, text) {
        node.textContent = text || '';
        node.hidden = !text;
    }

    /* What to tell a person about a failed request. */
    function explain(err) {
        if (err.status === 401)
            return 'That key was not accepted (' + err.message.replace(/\.$/, '') +
                '). Check it and sign in again.';
        if (err.status === 403)
            return 'This key may not open the editor’s view: an editor or admin key is needed.';
        return err.message;
    }

    /* fetch JSON with the key and a timeout; rejects with a readable Error
     * carrying .status (0 when the server could not be reached). */
    function api(path, opts) {
        opts = opts || {};
        var ctl = new AbortController();
        var timer = setTimeout(function () { ctl.abort(); }, REQUEST_TIMEOUT_MS);
        var init = { method: opts.method || 'GET', signal: ctl.signal, cache: 'no-store',
                     headers: { Accept: 'application/json',
                                Authorization: 'Bearer ' + (opts.key || key) } };
        if (opts.body !== undefined) {
            init.headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(opts.body);
        }
        return fetch(path, init).then(function (res) {
            return res.json().catch(function () { return {}; }).then(function (j) {
                if (!res.ok) {
                    var msg = j && j.error && j.error.message;
                    var err = new Error(msg ? msg.charAt(0).toUpperCase() + msg.slice(1) + '.'
                                            : 'The server answered ' + res.status + '.');
                    err.status = res.status;
                    err.code = j && j.error && j.error.code;
                    throw err;
                }
                return j;
            });
        }, function (e) {
            var err = new Error(e && e.name === 'AbortError'
                ? 'The server took too long to answer. Try again in a moment.'
                : 'Could not reach the server. Check that deskdex is running and try again.');
            err.status = 0;
            throw err;
        }).finally(function () { clearTimeout(timer); });
    }

    /* A table with a caption and column headers. columns: [{ label,
     * num (right-aligned), cell(row) -> string or Node }]; the first column
     * heads its row. */
    function table(box, caption, columns, rows, empty) {
        box.textContent = '';
        if (!rows || !rows.length) {
            box.appendChild(el('p', 'ed-empty', empty));
            return;
        }
        var t = el('table', 'ed-table');
        t.appendChild(el('caption', 'visually-hidden', caption));
        var thead = el('thead');
        var hr = el('tr');
        columns.forEach(function (c) {
            var th = el('th', c.num ? 'num' : null, c.label);
            th.scope = 'col';
            hr.appendChild(th);
        });
        thead.appendChild(hr);
        t.appendChild(thead);
        var tb = el('tbody');
        rows.forEach(function (r) {
            var tr = el('tr');
            columns.forEach(function (c, i) {
                var td = el(i === 0 ? 'th' : 'td', c.num ? 'num' : null);
                if (i === 0) td.scope = 'row';
                var v = c.cell(r);
                if (v instanceof Node) td.appendChild(v);
                else td.textContent = v === undefined || v === null ? '' : String(v);
                tr.appendChild(td);
            });
            tb.appendChild(tr);
        });
        t.appendChild(tb);
        box.appendChild(t);
    }

    /* --- sign in --- */

    function storeKey(k) {
        try {
            if (k) sessionStorage.setItem(KEY_STORE, k);
            else sessionStorage.removeItem(KEY_STORE);
        } catch (e) { /* private mode: the key lives in this page only */ }
    }

    /* Back to the key form; the stored key is dropped unless keep is set
     * (the server was unreachable, the key may well be right). */
    function showLogin(message, keep) {
        key = '';
        last = null;
        if (!keep) storeKey('');
        document.body.setAttribute('data-view', 'login');
        ui.login.hidden = false;
        ui.dash.hidden = true;
        ui.signOut.hidden = true;
        showError(ui.loginError, message);
        ui.key.setAttribute('aria-invalid', message ? 'true' : 'false');
        ui.key.focus();
    }

    function showDash() {
        document.body.setAttribute('data-view', 'dash');
        ui.login.hidden = true;
        ui.dash.hidden = false;
        ui.signOut.hidden = false;
        showError(ui.loginError, '');
    }

    function onLogin(e) {
        e.preventDefault();
        var k = ui.key.value.trim();
        if (!k) {
            showLogin('Enter your editor key.');
            return;
        }
        setStatus('Signing in…');
        ui.loginForm.setAttribute('aria-busy', 'true');
        load(k).then(function (ok) {
            ui.loginForm.removeAttribute('aria-busy');
            if (!ok) return;
            ui.key.value = '';
            ui.title.focus();
        });
    }

    /* --- loading --- */

    /* Fetch the summary and the pins with candidate key k; on success the
     * key is kept and the dashboard shown. Resolves to true or false. */
    function load(k) {
        var seq = ++loadSeq;
        var days = ui.days.value;
        setStatus('Loading the last ' + days + ' days…');
        ui.dash.setAttribute('aria-busy', 'true');
        return Promise.all([
            api('/v1/analytics/summary?days=' + encodeURIComponent(days) +
                '&limit=' + REPORT_LIMIT, { key: k }),
            api('/v1/pins', { key: k })
        ]).then(function (res) {
            if (seq !== loadSeq) return false;
            key = k;
            storeKey(k);
            showDash();
            ui.dash.removeAttribute('aria-busy');
            showError(ui.dashError, '');
            render(res[0]);
            renderPins(res[1].pins || []);
            setStatus('Showing the last ' + days + ' days: ' +
                      plural(res[0].ctr ? res[0].ctr.searches : 0, 'search', 'searches') + '.');
            return true;
        }, function (err) {
            if (seq !== loadSeq) return false;
            ui.dash.removeAttribute('aria-busy');
            setStatus('');
            if (err.status === 401 || err.status === 403 || ui.dash.hidden) {
                showLogin(explain(err), !err.status);
            } else {
                showError(ui.dashError, 'The reports could not be loaded: ' + explain(err));
            }
            return false;
        });
    }

    function reload() { if (key) load(key); }

    /* --- the reports --- */

    function render(s) {
        last = s;
        renderHeadline(s);
        drawCtr(ui.chartCtr, (s.ctr && s.ctr.by_position) || []);
        drawHelp(ui.chartHelp, s.helpfulness || []);
        renderGaps(s.gaps || []);
        var qcols = queryColumns();
        table(ui.top, 'Top queries', qcols, s.top_queries,
              'No searches in this window yet.');
        /* The narrower tables leave out what their title already says. */
        table(ui.zero, 'Queries with no results', pick(qcols, ['Query', 'Searches', 'Action']),
              s.zero_results, 'Every search found something.');
        table(ui.low, 'Queries whose results nobody opens',
              pick(qcols, ['Query', 'Searches', 'Opened', 'CTR', 'Action']), s.low_click,
              'No query stands out with results nobody opens.');
        renderStale(s.stale || {});
        ui.loggingNote.hidden = s.logging !== false;
        ui.loggingNote.textContent = s.logging === false
            ? 'The analytics log is off (analytics_log = off), so nothing new is counted.' : '';
    }

    function stat(id, value, sub) {
        $(id).textContent = value;
        $(id + '-sub').textContent = sub || '';
    }

    function renderHeadline(s) {
        var c = s.ctr || {}, d = s.deflection || {};
        stat('stat-searches', num(c.searches || 0),
             plural(c.zero_results || 0, 'found nothing', 'found nothing'));
        stat('stat-ctr', pct(c.ctr),
             num(c.searches_clicked || 0) + ' of ' + plural(c.searches || 0, 'search', 'searches') +
             ' led to an opened result');
        stat('stat-zero', pct(c.zero_rate),
             plural(c.zero_results || 0, 'search', 'searches') + ' with no results');
        var sub = num(d.deflected || 0) + ' of ' +
            plural(d.opened_article || 0, 'ticket-form session', 'ticket-form sessions') +
            ' that opened an article sent no ticket';
        if (!d.submission_reported)
            sub += ' (no form has reported a submission yet)';
        stat('stat-deflect', pct(d.rate), sub);
    }

    function pick(columns, labels) {
        return columns.filter(function (c) { return labels.indexOf(c.label) >= 0; });
    }

    function queryColumns() {
        return [
            { label: 'Query', cell: function (r) {
                var a = el('a', 'ed-query', r.query);
                a.href = searchHref(r.query);
                a.target = '_blank';
                a.rel = 'noopener';
                return a;
            } },
            { label: 'Searches', num: true, cell: function (r) { return num(r.count); } },
            { label: 'No results', num: true, cell: function (r) { return num(r.zero_results); } },
            { label: 'Opened', num: true, cell: function (r) { return num(r.clicked); } },
            { label: 'CTR', num: true, cell: function (r) { return pct(r.ctr); } },
            { label: 'Action', cell: function (r) {
                var b = el('button', 'btn btn-small', 'Pin…');
                b.type = 'button';
                b.setAttribute('aria-label', 'Pin an answer for “' + r.query + '”');
                b.addEventListener('click', function () { startPin(r.query); });
                return b;
            } }
        ];
    }

    function renderGaps(gaps) {
        var box = ui.gaps;
        box.textContent = '';
        if (!gaps.length) {
            box.appendChild(el('li', 'ed-empty', 'No gaps: searches in this window found answers people opened.'));
            return;
        }
        gaps.forEach(function (g) {
            var li = el('li', 'ed-gap');
            var none = g.zero_results >= g.searches;
            li.classList.add(none ? 'ed-gap-none' : 'ed-gap-poor');
            var h = el('p', 'ed-gap-title');
            h.appendChild(el('strong', null, plural(g.searches, 'search', 'searches')));
            h.appendChild(document.createTextNode(' about '));
            h.appendChild(el('q', 'ed-gap-label', g.label));
            h.appendChild(document.createTextNode(none
                ? ' found nothing.'
                : ' found poor answers' + (g.zero_results
                    ? ' (' + num(g.zero_results) + ' found nothing).' : '.')));
            li.appendChild(h);
            var meta = el('p', 'ed-muted ed-gap-meta',
                plural(g.queries || 0, 'different query', 'different queries') +
                ' · words: ' + (g.terms || ''));
            li.appendChild(meta);
            var ul = el('ul', 'ed-examples');
            ul.setAttribute('aria-label', 'Examples');
            (g.examples || []).forEach(function (x) {
                var item = el('li');
                var a = el('a', 'ed-query', x.query);
                a.href = searchHref(x.query);
                a.target = '_blank';
                a.rel = 'noopener';
                item.appendChild(a);
                item.appendChild(el('span', 'ed-count', '×' + num(x.count)));
                ul.appendChild(item);
            });
            li.appendChild(ul);
            box.appendChild(li);
        });
    }

    function staleColumns() {
        return [
            { label: 'Article', cell: function (r) { return docLink(r.id, r.title); } },
            { label: 'Type', cell: function (r) { return KIND_LABEL[r.kind] || r.kind || ''; } },
            { label: 'Review by', cell: function (r) {
                var t = el('time', 'ed-date', r.review_by);
                t.setAttribute('datetime', r.review_by || '');
                return t;
            } },
            { label: 'Status', cell: function (r) { return r.status || ''; } },
            { label: 'Version', num: true, cell: function (r) { return num(r.version); } }
        ];
    }

    function helpColumns() {
        return [
            { label: 'Article', cell: function (r) { return docLink(r.id, r.title); } },
            { label: 'Votes', num: true, cell: function (r) { return num(r.votes); } },
            { label: 'Helpful', num: true, cell: function (r) { return pct(r.ratio); } },
            { label: 'Trend', cell: function (r) { return r.trend || ''; } }
        ];
    }

    function renderStale(st) {
        var overdue = st.overdue || [];
        var total = st.overdue_total || overdue.length;
        ui.staleToday.textContent = 'Review dates are compared with ' + (st.today || 'today') +
            ': ' + plural(total, 'article is', 'articles are') + ' past theirs' +
            (total > overdue.length ? ', the first ' + overdue.length + ' shown.' : '.');
        table(ui.overdue, 'Overdue for review', staleColumns(), overdue,
              'Nothing is past its review date.');
        table(ui.dueSoon, 'Due for review soon', staleColumns(), st.due_soon,
              'Nothing is due in the next 30 days.');
        table(ui.falling, 'Articles whose helpfulness is falling', helpColumns(),
              st.falling_helpfulness, 'No article’s helpfulness is falling.');
    }

    /* --- charts --- */

    function chartWidth(fig) {
        return Math.max(260, Math.floor(fig.clientWidth || 520));
    }

    /* Bars of click-through rate for result positions 1-10. */
    function drawCtr(fig, rows) {
        fig.textContent = '';
        var W = chartWidth(fig), H = 220;
        var m = { l: 42, r: 8, t: 22, b: 34 };
        var iw = W - m.l - m.r, ih = H - m.t - m.b;
        var max = 0;
        rows.forEach(function (r) { max = Math.max(max, r.ctr || 0); });
        max = Math.max(0.1, Math.ceil(max * 10) / 10);
        var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H,
                                role: 'img', 'aria-labelledby': 'ctr-svg-title ctr-svg-desc',
                                'class': 'ed-svg', id: 'ctr-chart' });
        root.appendChild(svg('title', { id: 'ctr-svg-title' }, 'Click-through rate by result position'));
        var best = rows.slice().sort(function (a, b) { return (b.ctr || 0) - (a.ctr || 0); })[0];
        root.appendChild(svg('desc', { id: 'ctr-svg-desc' }, rows.length
            ? rows.map(function (r) { return 'position ' + r.position + ': ' + pct(r.ctr); }).join(', ') +
              (best && best.clicks ? '. Highest at position ' + best.position + '.' : '.')
            : 'No searches yet.'));
        [0, 0.5, 1].forEach(function (f) {
            var y = m.t + ih - f * ih;
            root.appendChild(svg('line', { x1: m.l, x2: W - m.r, y1: y, y2: y, 'class': 'ed-grid-line' }));
            root.appendChild(svg('text', { x: m.l - 6, y: y + 4, 'text-anchor': 'end', 'class': 'ed-axis' },
                                 pct(max * f)));
        });
        var n = Math.max(rows.length, 1), slot = iw / n, bw = Math.max(6, slot * 0.62);
        rows.forEach(function (r, i) {
            var h = Math.round(((r.ctr || 0) / max) * ih);
            var x = m.l + i * slot + (slot - bw) / 2, y = m.t + ih - h;
            var g = svg('g', { 'class': 'ed-bar-group' });
            var bar = svg('rect', { x: x.toFixed(1), y: y, width: bw.toFixed(1), height: Math.max(h, 1),
                                    rx: 3, 'class': 'ed-bar', 'data-position': r.position });
            bar.appendChild(svg('title', null, 'Position ' + r.position + ': ' +
                plural(r.clicks || 0, 'click', 'clicks') + ' of ' +
                plural(r.impressions || 0, 'impression', 'impressions') + ' (' + pct(r.ctr) + ')'));
            g.appendChild(bar);
            if (r.clicks)
                g.appendChild(svg('text', { x: (x + bw / 2).toFixed(1), y: y - 5, 'text-anchor': 'middle',
                                            'class': 'ed-value' }, pct(r.ctr)));
            g.appendChild(svg('text', { x: (x + bw / 2).toFixed(1), y: H - m.b + 16, 'text-anchor': 'middle',
                                        'class': 'ed-axis' }, r.position));
            root.appendChild(g);
        });
        root.appendChild(svg('text', { x: m.l + iw / 2, y: H - 4, 'text-anchor': 'middle', 'class': 'ed-axis' },
                             'Result position'));
        fig.appendChild(root);
        fig.appendChild(dataTable('Click-through rate by position',
            [{ label: 'Position', cell: function (r) { return r.position; } },
             { label: 'Shown', num: true, cell: function (r) { return num(r.impressions); } },
             { label: 'Opened', num: true, cell: function (r) { return num(r.clicks); } },
             { label: 'CTR', num: true, cell: function (r) { return pct(r.ctr); } }], rows));
    }

    /* Stacked bars of helpful and not helpful votes, most voted first. */
    function drawHelp(fig, rows) {
        fig.textContent = '';
        rows = rows.slice().sort(function (a, b) { return (b.votes || 0) - (a.votes || 0); })
            .slice(0, HELP_ROWS);
        if (!rows.length) {
            fig.appendChild(el('p', 'ed-empty', 'No votes in this window yet.'));
            return;
        }
        var W = chartWidth(fig), row = 46, H = rows.length * row + 8;
        var max = 1;
        rows.forEach(function (r) { max = Math.max(max, r.votes || 0); });
        var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H,
                                role: 'img', 'aria-labelledby': 'help-svg-title help-svg-desc',
                                'class': 'ed-svg', id: 'help-chart' });
        root.appendChild(svg('title', { id: 'help-svg-title' }, 'Helpful and not helpful votes per article'));
        root.appendChild(svg('desc', { id: 'help-svg-desc' }, rows.map(function (r) {
            return (r.title || r.id) + ': ' + r.helpful + ' helpful, ' + r.not_helpful +
                ' not helpful, ' + (r.trend || 'steady');
        }).join('; ') + '.'));
        var maxChars = Math.max(12, Math.floor(W / 7.4));
        rows.forEach(function (r, i) {
            var y = 4 + i * row;
            var title = String(r.title || r.id);
            if (title.length > maxChars) title = title.slice(0, maxChars - 1) + '…';
            var g = svg('g', { 'class': 'ed-help-row', 'data-id': r.id });
            g.appendChild(svg('text', { x: 0, y: y + 13, 'class': 'ed-label' }, title));
            var bw = W - 120;
            var wy = Math.round(bw * (r.helpful || 0) / max), wn = Math.round(bw * (r.not_helpful || 0) / max);
            var yes = svg('rect', { x: 0, y: y + 19, width: Math.max(wy, 0), height: 14, rx: 2, 'class': 'ed-yes' });
            yes.appendChild(svg('title', null, plural(r.helpful || 0, 'helpful vote', 'helpful votes')));
            var no = svg('rect', { x: wy, y: y + 19, width: Math.max(wn, 0), height: 14, rx: 2, 'class': 'ed-no' });
            no.appendChild(svg('title', null, plural(r.not_helpful || 0, 'not helpful vote', 'not helpful votes')));
            g.appendChild(yes);
            g.appendChild(no);
            var arrow = r.trend === 'falling' ? ' ▼' : r.trend === 'rising' ? ' ▲' : '';
            g.appendChild(svg('text', { x: wy + wn + 8, y: y + 31,
                                        'class': 'ed-value ed-trend-' + (r.trend || 'steady') },
                              pct(r.ratio) + ' of ' + num(r.votes) + arrow));
            root.appendChild(g);
        });
        fig.appendChild(root);
        var legend = el('p', 'ed-legend');
        legend.appendChild(el('span', 'ed-swatch ed-swatch-yes'));
        legend.appendChild(document.createTextNode('Helpful '));
        legend.appendChild(el('span', 'ed-swatch ed-swatch-no'));
        legend.appendChild(document.createTextNode('Not helpful · ▼ falling, ▲ rising'));
        fig.appendChild(legend);
        fig.appendChild(dataTable('Helpfulness votes', helpColumns(), rows));
    }

    /* The chart's numbers as a table, for anyone who cannot see the bars. */
    function dataTable(caption, columns, rows) {
        var d = el('details', 'ed-data');
        d.appendChild(el('summary', null, 'Show the numbers'));
        var box = el('div', 'ed-table-wrap');
        table(box, caption, columns, rows, 'No data.');
        d.appendChild(box);
        return d;
    }

    /* --- pins --- */

    function renderPins(pins) {
        pins = pins.slice().sort(function (a, b) {
            return (a.expired ? 1 : 0) - (b.expired ? 1 : 0) ||
                String(a.query).localeCompare(String(b.query));
        });
        table(ui.pins, 'Pinned answers', [
            { label: 'Query', cell: function (p) { return p.query; } },
            { label: 'Document', cell: function (p) { return docLink(p.id); } },
            { label: 'Expires', cell: function (p) {
                var s = el('span', p.expired ? 'ed-expired' : null, fmtDate(p.expires));
                if (p.expired) s.textContent += ' (expired)';
                return s;
            } },
            { label: 'Created', cell: function (p) {
                return fmtDate(p.created) + (p.by ? ' by ' + p.by : '');
            } },
            { label: 'Action', cell: function (p) {
                var b = el('button', 'btn btn-small', 'Remove');
                b.type = 'button';
                b.setAttribute('data-pin', p.pin);
                b.setAttribute('aria-label', 'Remove the pin of ' + p.id + ' for “' + p.query + '”');
                b.addEventListener('click', function () { removePin(p, b); });
                return b;
            } }
        ], pins, 'No pins yet.');
    }

    function pinStatus(text, bad) {
        ui.pinStatus.textContent = text;
        ui.pinStatus.className = 'ed-form-status' + (bad ? ' error' : text ? ' ok' : '');
    }

    function refreshPins() {
        return api('/v1/pins').then(function (j) { renderPins(j.pins || []); });
    }

    function startPin(q) {
        ui.pinQuery.value = q;
        pinStatus('');
        ui.pinId.focus();
        ui.pinId.scrollIntoView({ block: 'center' });
    }

    function onPin(e) {
        e.preventDefault();
        var q = ui.pinQuery.value.trim(), id = ui.pinId.value.trim();
        var days = parseInt(ui.pinDays.value, 10);
        var missing = !q ? ui.pinQuery : !id ? ui.pinId : null;
        [ui.pinQuery, ui.pinId].forEach(function (f) {
            f.setAttribute('aria-invalid', f === missing ? 'true' : 'false');
        });
        if (missing) {
            pinStatus(missing === ui.pinQuery ? 'Enter the query to pin an answer for.'
                                              : 'Enter the id of the document to show first.', true);
            missing.focus();
            return;
        }
        if (!isFinite(days) || days < 1 || days > 3650) {
            pinStatus('Days must be a whole number from 1 to 3650.', true);
            ui.pinDays.focus();
            return;
        }
        pinStatus('Pinning…');
        api('/v1/pins', { method: 'POST', body: { query: q, id: id, days: days } }).then(function (j) {
            var p = j.pin || {};
            var done = 'Pinned ' + (p.id || id) + ' for “' + (p.query || q) + '” until ' +
                       fmtDate(p.expires) + '.';
            ui.pinQuery.value = '';
            ui.pinId.value = '';
            /* The message comes once the list shows the change. */
            return refreshPins().catch(function () { /* the list stays as it was */ })
                .then(function () { pinStatus(done); });
        }).catch(function (err) {
            if (err.status === 401) { showLogin(explain(err)); return; }
            pinStatus('The pin was not saved: ' + explain(err), true);
        });
    }

    function removePin(p, button) {
        button.disabled = true;
        api('/v1/pins/' + encodeURIComponent(p.pin), { method: 'DELETE' }).then(function () {
            return refreshPins().catch(function () { /* the list stays as it was */ })
                .then(function () {
                    pinStatus('Removed the pin of ' + p.id + ' for “' + p.query + '”.');
                });
        }).catch(function (err) {
            button.disabled = false;
            if (err.status === 401) { showLogin(explain(err)); return; }
            pinStatus('The pin was not removed: ' + explain(err), true);
        });
    }

    /* --- promote and publish --- */

    var draft = null; /* { id, version } of the promoted draft shown */

    function promoteStatus(text, bad) {
        ui.promoteStatus.textContent = text;
        ui.promoteStatus.className = 'ed-form-status' + (bad ? ' error' : text ? ' ok' : '');
    }

    function onPromote(e) {
        e.preventDefault();
        var id = ui.promoteId.value.trim();
        ui.promoteId.setAttribute('aria-invalid', id ? 'false' : 'true');
        if (!id) {
            promoteStatus('Enter the id of a solved ticket, e.g. INC-11148.', true);
            ui.promoteId.focus();
            return;
        }
        promoteStatus('Promoting ' + id + '…');
        ui.draft.hidden = true;
        api('/v1/documents/' + encodeURIComponent(id) + '/promote', {
            method: 'POST', body: { kind: ui.promoteKind.value }
        }).then(function (j) {
            showDraft(j);
            promoteStatus('Draft ' + j.id + ' created from ' + (j.promoted_from || id) +
                          '. Check it, then publish it.');
            ui.publish.focus();
        }, function (err) {
            if (err.status === 401) { showLogin(explain(err)); return; }
            var msg = err.status === 404
                ? 'There is no ticket ' + id + '.'
                : err.status === 409
                    ? 'This ticket was promoted before: ' + err.message
                    : explain(err);
            promoteStatus('Not promoted. ' + msg, true);
        });
    }

    function showDraft(j) {
        var d = j.document || {};
        draft = { id: j.id, version: j.version };
        ui.draftKind.className = 'badge badge-' + (KIND_LABEL[d.kind] ? d.kind : 'other');
        ui.draftKind.textContent = KIND_LABEL[d.kind] || d.kind || 'Article';
        ui.draftState.textContent = j.status === 'published' ? 'Published' : 'Draft';
        ui.draftState.className = 'badge ' + (j.status === 'published' ? 'ed-badge-live' : 'ed-badge-draft');
        ui.draftMeta.textContent = j.id + ' · version ' + j.version + ' · from ' + j.promoted_from;
        ui.draftTitle.textContent = d.title || j.id;
        renderText(ui.draftBody, d.body);
        ui.publish.hidden = false;
        ui.publish.disabled = false;
        ui.draftLink.hidden = true;
        ui.draftLink.href = docHref(j.id);
        ui.draft.hidden = false;
    }

    function onPublish() {
        if (!draft) return;
        var d = draft;
        ui.publish.disabled = true;
        promoteStatus('Publishing ' + d.id + '…');
        api('/v1/documents/' + encodeURIComponent(d.id) + '/publish', { method: 'POST' }).then(function (j) {
            if (draft !== d) return;
            ui.draftState.textContent = 'Published';
            ui.draftState.className = 'badge ed-badge-live';
            ui.draftMeta.textContent = j.id + ' · version ' + j.version;
            ui.publish.hidden = true;
            ui.draftLink.hidden = false;
            promoteStatus('Published ' + j.id + ' as version ' + j.version +
                          '. Everyone can find it in search now.');
            ui.draftLink.focus();
        }, function (err) {
            ui.publish.disabled = false;
            if (err.status === 401) { showLogin(explain(err)); return; }
            promoteStatus('Not published: ' + explain(err), true);
        });
    }

    /* --- start --- */

    function init() {
        ui = {
            status: $('status'), title: $('main'), login: $('view-login'),
            loginForm: $('login-form'), key: $('key'), loginError: $('login-error'),
            dash: $('view-dash'), dashError: $('dash-error'), signOut: $('sign-out'),
            days: $('days'), refresh: $('refresh'), loggingNote: $('logging-note'),
            chartCtr: $('chart-ctr'), chartHelp: $('chart-help'), gaps: $('gaps'),
            top: $('top-queries'), zero: $('zero-queries'), low: $('low-queries'),
            staleToday: $('stale-today'), overdue: $('overdue'), dueSoon: $('due-soon'),
            falling: $('falling'), pins: $('pins'), pinForm: $('pin-form'),
            pinQuery: $('pin-query'), pinId: $('pin-id'), pinDays: $('pin-days'),
            pinStatus: $('pin-status'), promoteForm: $('promote-form'),
            promoteId: $('promote-id'), promoteKind: $('promote-kind'),
            promoteStatus: $('promote-status'), draft: $('draft'), draftKind: $('draft-kind'),
            draftState: $('draft-state'), draftMeta: $('draft-meta'), draftTitle: $('draft-title'),
            draftBody: $('draft-body'), publish: $('publish'), draftLink: $('draft-link')
        };
        ui.loginForm.addEventListener('submit', onLogin);
        ui.signOut.addEventListener('click', function () {
            setStatus('Signed out.');
            showLogin('');
        });
        ui.days.addEventListener('change', reload);
        ui.refresh.addEventListener('click', reload);
        ui.pinForm.addEventListener('submit', onPin);
        ui.promoteForm.addEventListener('submit', onPromote);
        ui.publish.addEventListener('click', onPublish);
        var resizeTimer = 0, lastWidth = window.innerWidth;
        window.addEventListener('resize', function () {
            clearTimeout(resizeTimer);
            resizeTimer = setTimeout(function () {
                if (!last || window.innerWidth === lastWidth) return;
                lastWidth = window.innerWidth;
                drawCtr(ui.chartCtr, (last.ctr && last.ctr.by_position) || []);
                drawHelp(ui.chartHelp, last.helpfulness || []);
            }, 150);
        });
        var saved = '';
        try { saved = sessionStorage.getItem(KEY_STORE) || ''; } catch (e) { /* ignore */ }
        if (saved) load(saved);
        else ui.key.focus();
    }

    if (document.readyState === 'loading')
        document.addEventListener('DOMContentLoaded', init);
    else
        init();
})();
