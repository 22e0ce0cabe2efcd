/* widget.js - related articles under a ticket form, for any host page.
 *
 * Usage on the host page:
 *   <script src="https://HOST/widget.js"
 *           data-deskdex-subject="#subject"
 *           data-deskdex-description="#description"
 *           data-deskdex-limit="5"              (optional, 1-20)
 *           data-deskdex-target="#where"></script>   (optional)
 *
 * The widget reads the two fields as the user types, asks HOST's
 * /v1/related for matching articles (the last word counts as a prefix) and
 * lists them in a Shadow DOM box, so the host's styles and ours never mix.
 * Each result opens HOST/#/doc/ID in a new tab. Only window.deskdexWidget
 * is defined. A host on another origin must be listed in deskdex's
 * cors_origins setting.
 *
 * Analytics: each page load gets a random session id, sent with every
 * /v1/related request. Opening an article sends a "click" event and
 * submitting the form that holds the fields sends a "submit" event to
 * HOST/v1/events, so deskdex can tell how many tickets the articles
 * prevented. A form that is not submitted natively (the host's script
 * calls preventDefault and sends it itself) reports with
 * window.deskdexWidget.submitted(). Events are fire-and-forget and never
 * hold up the page.
 */
(function () {
    'use strict';

    var DELAY_MS = 250;
    var TIMEOUT_MS = 8000;
    var MAX_QUERY_CHARS = 300;

    var script = document.currentScript;
    if (!script) {
        /* Loaded asynchronously: find our tag by its attributes or name. */
        script = document.querySelector('script[data-deskdex-subject]') ||
            document.querySelector('script[src$="/widget.js"]');
    }
    if (!script || !script.src) return;
    if (window.deskdexWidget) return; /* included twice */

    var origin = new URL(script.src, document.baseURI).origin;
    var data = script.dataset;
    var limit = parseInt(data.deskdexLimit || '5', 10);
    if (!isFinite(limit) || limit < 1) limit = 5;
    if (limit > 20) limit = 20;

    var KIND = { manual: 'Guide', faq: 'FAQ', ticket: 'Solved ticket' };

    var session = newSession();
    var submitSent = false;

    /* 128 random bits as hex: one session per page load, nothing stored. */
    function newSession() {
        var b = new Uint8Array(16);
        try {
            window.crypto.getRandomValues(b);
        } catch (e) {
            for (var i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
        }
        var s = '';
        for (var k = 0; k < b.length; k++) s += (b[k] < 16 ? '0' : '') + b[k].toString(16);
        return s;
    }

    /* keepalive lets the request outlive a page that is navigating away;
     * a text/plain body keeps it a simple request, with no preflight from
     * a host page on another origin. */
    function sendEvent(ev) {
        try {
            fetch(origin + '/v1/events', {
                method: 'POST', keepalive: true, credentials: 'omit',
                headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
                body: JSON.stringify(ev)
            }).catch(function () { /* analytics never bother the user */ });
        } catch (e) { /* old browsers without fetch options */ }
    }

    /* At most once per page load: a second submit of the same session
     * adds nothing to the report. */
    function reportSubmit() {
        if (submitSent) return false;
        submitSent = true;
        sendEvent({ type: 'submit', session: session });
        return true;
    }

    var CSS = [
        ':host { all: initial; display: block; margin: 1.25rem 0; }',
        '.box { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, "Noto Sans",',
        '  "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;',
        '  font-size: 15px; line-height: 1.5; color: #1b2333; background: #fff;',
        '  border: 1px solid #dfe4ee; border-radius: 12px; padding: 14px 16px;',
        '  box-shadow: 0 2px 10px rgba(20,30,60,.06); }',
        '.head { display: flex; align-items: center; gap: 8px; margin: 0 0 8px; }',
        '.title { font-size: 14px; font-weight: 700; margin: 0; color: #1b2333; }',
        '.hint { margin: 0 0 0 auto; font-size: 12px; color: #5a6478; }',
        '.icon { width: 18px; height: 18px; flex: none; }',
        'ul { list-style: none; margin: 0; padding: 0; }',
        'li + li { border-top: 1px solid #eef1f6; }',
        'a { display: block; padding: 9px 6px; border-radius: 8px; text-decoration: none; color: inherit; }',
        'a:hover { background: #f1f5ff; }',
        'a:focus-visible { outline: 3px solid #ff9f1c; outline-offset: 1px; }',
        '.row { display: flex; align-items: baseline; gap: 8px; }',
        '.t { color: #2451c7; font-weight: 600; flex: 1; min-width: 0; }',
        '.k { font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;',
        '  padding: 1px 7px; border-radius: 999px; background: #eef0f5; color: #3d4659; white-space: nowrap; }',
        '.k-manual { background: #e3ecff; color: #1d47b8; }',
        '.k-faq { background: #ddf5ea; color: #146244; }',
        '.k-ticket { background: #fdebd8; color: #8a4a0b; }',
        '.s { margin: 3px 0 0; font-size: 13px; color: #4a5367; display: -webkit-box;',
        '  -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }',
        'mark { background: #fff1a8; color: inherit; border-radius: 2px; }',
        '.empty { margin: 4px 0; font-size: 13px; color: #5a6478; }',
        ':lang(zh) { line-height: 1.7; }',
        '.vh { position: absolute; width: 1px; height: 1px; overflow: hidden;',
        '  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }',
        '[hidden] { display: none; }'
    ].join('\n');

    function query(sel) {
        if (!sel) return null;
        try { return document.querySelector(sel); } catch (e) { return null; }
    }

    function el(tag, cls, text) {
        var n = document.createElement(tag);
        if (cls) n.className = cls;
        if (text !== undefined) n.textContent = String(text);
        return n;
    }

    /* Server HTML is escaped with <mark> around matches; rebuild it keeping
     * only text and <mark>, so nothing else can reach the host page. */
    function setMarked(node, html) {
        var t = document.createElement('template');
        t.innerHTML = String(html || '');
        (function copy(src, dst) {
            for (var c = src.firstChild; c; c = c.nextSibling) {
                if (c.nodeType === 3) {
                    dst.appendChild(document.createTextNode(c.nodeValue));
                } else if (c.nodeType === 1) {
                    if (c.localName === 'mark') {
                        var m = document.createElement('mark');
                        copy(c, m);
                        dst.appendChild(m);
                    } else {
                        copy(c, dst);
                    }
                }
            }
        })(t.content, node);
        return node;
    }

    function start() {
        var subject = query(data.deskdexSubject || '#subject');
        var description = query(data.deskdexDescription || '#description');
        if (!subject && !description) return;

        /* Where the box goes: the target, else right after the form. */
        var host = el('div');
        host.className = 'deskdex-related';
        var target = query(data.deskdexTarget);
        var form = (subject || description).form;
        if (target) target.appendChild(host);
        else if (form && form.parentNode) form.parentNode.insertBefore(host, form.nextSibling);
        else script.parentNode.insertBefore(host, script.nextSibling);

        var root = host.attachShadow({ mode: 'open' });
        var sheet = null;
        try {
            sheet = new CSSStyleSheet();
            sheet.replaceSync(CSS);
            root.adoptedStyleSheets = [sheet];
        } catch (e) {
            /* Old browsers: a <style> element (a strict host CSP may block it). */
            root.appendChild(el('style', null, CSS));
        }

        var box = el('section', 'box');
        box.setAttribute('aria-label', 'Related help articles');
        box.hidden = true;
        var head = el('div', 'head');
        var svgNS = 'http://www.w3.org/2000/svg';
        var icon = document.createElementNS(svgNS, 'svg');
        icon.setAttribute('viewBox', '0 0 24 24');
        icon.setAttribute('class', 'icon');
        icon.setAttribute('aria-hidden', 'true');
        var path = document.createElementNS(svgNS, 'path');
        path.setAttribute('fill', '#2451c7');
        path.setAttribute('d', 'M12 2a10 10 0 100 20 10 10 0 000-20zm1 15h-2v-2h2v2zm2.1-7.7l-.9.9C13.4 11 13 11.5 13 13h-2v-.5c0-1.1.4-2.1 1.2-2.8l1.2-1.3A2 2 0 1010 7H8a4 4 0 118 0c0 .9-.4 1.7-.9 2.3z');
        icon.appendChild(path);
        head.appendChild(icon);
        head.appendChild(el('h2', 'title', 'These articles might solve it'));
        head.appendChild(el('p', 'hint', 'Opens in a new tab'));
        box.appendChild(head);
        var list = el('ul');
        var live = el('p', 'empty');
        live.setAttribute('aria-live', 'polite');
        box.appendChild(list);
        box.appendChild(live);
        root.appendChild(box);

        var timer = 0, seq = 0, ctl = null, lastQ = null, lastEdited = subject;
        var shownQid = null; /* query_id of the list on screen */

        function text(field) {
            return field ? String(field.value || '').replace(/\s+/g, ' ').trim() : '';
        }

        /* The field being typed in goes last: its last word is the prefix. */
        function buildQuery() {
            var s = text(subject), d = text(description);
            if (d.length > MAX_QUERY_CHARS) d = d.slice(0, MAX_QUERY_CHARS);
            var parts = lastEdited === description ? [s, d] : [d, s];
            var q = parts.filter(Boolean).join(' ');
            if (q.length > MAX_QUERY_CHARS) q = q.slice(q.length - MAX_QUERY_CHARS);
            return q.trim();
        }

        function render(results, qid) {
            list.textContent = '';
            shownQid = qid || null;
            results.forEach(function (r, i) {
                var li = el('li');
                if (r.lang) li.lang = r.lang;
                var a = el('a');
                a.href = origin + '/#/doc/' + encodeURIComponent(r.id);
                a.target = '_blank';
                a.rel = 'noopener';
                a.setAttribute('data-id', r.id);
                a.setAttribute('data-position', String(i + 1));
                var row = el('span', 'row');
                var t = setMarked(el('span', 't'), r.title_html);
                if (!t.textContent) t.textContent = r.title || r.id;
                row.appendChild(t);
                row.appendChild(el('span', 'k k-' + (KIND[r.kind] ? r.kind : 'other'),
                                   KIND[r.kind] || r.kind || 'Article'));
                a.appendChild(row);
                var snip = r.answer || r.resolution || r.snippet;
                if (snip) a.appendChild(setMarked(el('span', 's'), snip));
                li.appendChild(a);
                list.appendChild(li);
            });
            live.textContent = results.length
                ? results.length + (results.length === 1 ? ' related article.' : ' related articles.')
                : 'No related articles yet. Keep typing, or submit your ticket.';
            live.className = results.length ? 'empty vh' : 'empty';
            box.hidden = false;
        }

        function refresh() {
            var q = buildQuery();
            if (q === lastQ) return;
            lastQ = q;
            if (ctl) ctl.abort();
            ctl = null;
            var my = ++seq;
            if (q.length < 3) {
                list.textContent = '';
                box.hidden = true;
                return;
            }
            var c = new AbortController();
            ctl = c;
            var t = setTimeout(function () { c.abort(); }, TIMEOUT_MS);
            fetch(origin + '/v1/related?limit=' + limit + '&q=' + encodeURIComponent(q) +
                  '&session=' + session,
                  { signal: c.signal, credentials: 'omit', headers: { Accept: 'application/json' } })
                .then(function (res) { return res.ok ? res.json() : { results: [] }; })
                .then(function (j) {
                    if (my === seq) render((j && j.results) || [], j && j.query_id);
                }, function () {
                    /* Unreachable server: leave the form as it was. */
                    if (my === seq) lastQ = null;
                })
                .finally(function () { clearTimeout(t); });
        }

        function onInput(e) {
            if (e.isComposing) return; /* an IME is still composing */
            lastEdited = e.target;
            clearTimeout(timer);
            timer = setTimeout(refresh, DELAY_MS);
        }

        /* A left, middle or keyboard "click" on an article link. */
        function onOpen(e) {
            if (e.type === 'auxclick' && e.button !== 1) return;
            var a = e.target.closest && e.target.closest('a[data-id]');
            if (!a) return;
            var ev = { type: 'click', id: a.getAttribute('data-id'),
                       position: parseInt(a.getAttribute('data-position'), 10) || 1,
                       session: session };
            if (shownQid) ev.query_id = shownQid;
            sendEvent(ev);
        }
        list.addEventListener('click', onOpen);
        list.addEventListener('auxclick', onOpen);

        /* Listening on window runs after the form's own handlers: a submit
         * they cancelled is the host's to report with submitted(), one
         * they let through is a real submission. */
        function onSubmit(e) {
            if (e.target !== form || e.defaultPrevented) return;
            reportSubmit();
        }
        if (form) window.addEventListener('submit', onSubmit);

        [subject, description].forEach(function (f) {
            if (f) {
                f.addEventListener('input', onInput);
                f.addEventListener('compositionend', onInput);
            }
        });
        if (buildQuery()) refresh(); /* fields prefilled, e.g. after a back */

        window.deskdexWidget = {
            origin: origin,
            element: host,
            session: session,
            refresh: function () { lastQ = null; refresh(); },
            submitted: reportSubmit,
            destroy: function () {
                clearTimeout(timer);
                if (ctl) ctl.abort();
                if (form) window.removeEventListener('submit', onSubmit);
                [subject, description].forEach(function (f) {
                    if (f) {
                        f.removeEventListener('input', onInput);
                        f.removeEventListener('compositionend', onInput);
                    }
                });
                if (host.parentNode) host.parentNode.removeChild(host);
                delete window.deskdexWidget;
            }
        };
    }

    window.deskdexWidget = { origin: origin, pending: true, session: session,
                             submitted: reportSubmit };
    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', function () {
            delete window.deskdexWidget;
            start();
        });
    } else {
        delete window.deskdexWidget;
        start();
    }
})();
