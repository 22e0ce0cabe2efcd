/* app.js - the self-service page: search, type-ahead and the article view.
 *
 * Routes live in the URL hash so the back button and shared links work:
 *   #/                         home
 *   #/search?q=…&kind=…&product=…&category=…&offset=N
 *   #/doc/ID                   the current version of an article
 *   #/doc/ID?v=N               an older version
 *
 * Escaping rule: the server sends title_html, snippet, answer and resolution
 * already escaped with <mark> around matches; setMarked() still rebuilds them
 * keeping only text and <mark>. Every other field goes in via textContent.
 *
 * Analytics: every search and type-ahead answer carries a query_id. Opening
 * one of its results sends a "click" event (the result's 1-based position in
 * the list shown) to /v1/events, and a vote on an article opened that way
 * carries the same query_id. Events are fire-and-forget.
 */
(function () {
    'use strict';

    var PAGE_SIZE = 10;
    var SUGGEST_DELAY_MS = 120;
    var SUGGEST_LIMIT = 6;
    var REQUEST_TIMEOUT_MS = 10000;

    var KIND_LABEL = { manual: 'Guide', faq: 'FAQ', ticket: 'Solved ticket' };
    var KIND_PLURAL = { manual: 'Guides', faq: 'FAQs', ticket: 'Solved tickets' };
    var PRODUCT_LABEL = {
        vpn: 'VPN', sso: 'Sign-in (SSO)', password: 'Passwords', email: 'E-mail',
        printing: 'Printing', wifi: 'Wi-Fi', laptop: 'Laptops',
        software: 'Software', access: 'Access requests',
        'shared-drive': 'Shared drives', video: 'Video calls', mobile: 'Mobile'
    };
    var FACETS = [
        { key: 'kind', title: 'Type', label: KIND_PLURAL },
        { key: 'product', title: 'Product', label: PRODUCT_LABEL },
        { key: 'category', title: 'Category', label: {} }
    ];

    function $(id) { return document.getElementById(id); }

    var ui = {};
    var lastSearchHash = '';
    var resultsQid = null;   /* query_id of the results on screen */
    var opened = null;       /* { id, qid } of the last result opened */

    /* --- helpers --- */

    function el(tag, cls, text) {
        var n = document.createElement(tag);
        if (cls) n.className = cls;
        if (text !== undefined && text !== null) n.textContent = String(text);
        return n;
    }

    /* Put server-highlighted HTML into node, keeping only text and <mark>.
     * A <template> parses without running scripts or loading images. */
    function setMarked(node, html) {
        var t = document.createElement('template');
        t.innerHTML = String(html || '');
        node.textContent = '';
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

    function humanLabel(map, value) {
        if (map && Object.prototype.hasOwnProperty.call(map, value))
            return map[value];
        value = String(value).replace(/[-_]+/g, ' ');
        return value.charAt(0).toUpperCase() + value.slice(1);
    }

    var dateFmt = null;
    function fmtDate(iso) {
        if (!iso) return '';
        var d = new Date(iso);
        if (isNaN(d.getTime())) return String(iso);
        try {
            dateFmt = dateFmt || new Intl.DateTimeFormat(undefined, {
                year: 'numeric', month: 'short', day: 'numeric' });
            return dateFmt.format(d);
        } catch (e) {
            return d.toISOString().slice(0, 10);
        }
    }

    function timeEl(iso, prefix) {
        var t = el('time', null, (prefix || '') + fmtDate(iso));
        if (iso) t.setAttribute('datetime', iso);
        return t;
    }

    function docHref(id, version) {
        return '#/doc/' + encodeURIComponent(id) +
            (version ? '?v=' + encodeURIComponent(version) : '');
    }

    function searchHref(p) {
        var qs = new URLSearchParams();
        ['q', 'kind', 'product', 'category'].forEach(function (k) {
            if (p[k]) qs.set(k, p[k]);
        });
        if (p.offset) qs.set('offset', String(p.offset));
        return '#/search?' + qs.toString();
    }

    function plural(n, one, many) {
        return n + ' ' + (n === 1 ? one : many);
    }

    /* fetch JSON with a timeout; rejects with a readable Error. */
    function api(path, opts) {
        opts = opts || {};
        var ctl = new AbortController();
        var timer = setTimeout(function () { ctl.abort(); }, REQUEST_TIMEOUT_MS);
        if (opts.signal) {
            if (opts.signal.aborted) ctl.abort();
            opts.signal.addEventListener('abort', function () { ctl.abort(); });
        }
        var init = { method: opts.method || 'GET', signal: ctl.signal,
                     headers: { Accept: 'application/json' } };
        if (opts.body !== undefined) {
            init.headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(opts.body);
        }
        return fetch(path, init).then(function (res) {
            return res.json().catch(function () { return {}; }).then(function (j) {
                if (!res.ok) {
                    var msg = j && j.error && j.error.message;
                    var err = new Error(msg || ('The server answered ' + res.status + '.'));
                    err.status = res.status;
                    throw err;
                }
                return j;
            });
        }, function (e) {
            if (opts.signal && opts.signal.aborted) throw e;
            throw new Error(e && e.name === 'AbortError'
                ? 'The server took too long to answer.'
                : 'Could not reach the server. Check your connection and try again.');
        }).finally(function () { clearTimeout(timer); });
    }

    /* POST an analytics event; keepalive lets it outlive the page, and
     * nothing waits for the answer. */
    function sendEvent(ev) {
        try {
            fetch('/v1/events', {
                method: 'POST', keepalive: true,
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify(ev)
            }).catch(function () { /* analytics never bother the user */ });
        } catch (e) { /* ignore */ }
    }

    function sendClick(qid, id, position) {
        opened = { id: id, qid: qid || null };
        if (!qid || !id) return;
        sendEvent({ type: 'click', query_id: qid, id: id, position: position });
    }

    function setStatus(text) {
        ui.status.textContent = text || '';
    }

    function showView(name) {
        ['home', 'results', 'doc'].forEach(function (v) {
            ui['view_' + v].hidden = v !== name;
        });
        document.body.setAttribute('data-view', name);
    }

    function badge(kind) {
        var b = el('span', 'badge badge-' + (KIND_LABEL[kind] ? kind : 'other'),
                   humanLabel(KIND_LABEL, kind || 'article'));
        return b;
    }

    /* --- type-ahead --- */

    var sugg = { timer: 0, seq: 0, ctl: null, items: [], active: -1, open: false, qid: null };

    function suggestClose() {
        clearTimeout(sugg.timer);
        sugg.timer = 0;
        if (sugg.ctl) sugg.ctl.abort();
        sugg.ctl = null;
        sugg.seq++;
        sugg.open = false;
        sugg.active = -1;
        sugg.items = [];
        ui.suggestions.hidden = true;
        ui.suggestions.textContent = '';
        ui.q.setAttribute('aria-expanded', 'false');
        ui.q.removeAttribute('aria-activedescendant');
    }

    function suggestSetActive(i) {
        var opts = ui.suggestions.children;
        if (!opts.length) return;
        if (i < -1) i = opts.length - 1;
        if (i >= opts.length) i = -1;
        sugg.active = i;
        for (var k = 0; k < opts.length; k++) {
            var on = k === i;
            opts[k].setAttribute('aria-selected', on ? 'true' : 'false');
            opts[k].classList.toggle('active', on);
        }
        if (i >= 0) {
            ui.q.setAttribute('aria-activedescendant', opts[i].id);
            opts[i].scrollIntoView({ block: 'nearest' });
        } else {
            ui.q.removeAttribute('aria-activedescendant');
        }
    }

    function suggestChoose(i) {
        var opt = ui.suggestions.children[i];
        if (!opt) return;
        var id = opt.getAttribute('data-id');
        var qid = sugg.qid;
        suggestClose();
        if (id) {
            sendClick(qid, id, i + 1);
            location.hash = docHref(id);
        } else {
            submitSearch();
        }
    }

    function suggestRender(q, results, qid) {
        var list = ui.suggestions;
        sugg.qid = qid || null;
        list.textContent = '';
        sugg.items = results;
        sugg.active = -1;
        results.forEach(function (r, i) {
            var li = el('li', 'suggestion');
            li.id = 'sugg-' + i;
            li.setAttribute('role', 'option');
            li.setAttribute('aria-selected', 'false');
            li.setAttribute('data-id', r.id);
            if (r.lang) li.lang = r.lang;
            var title = setMarked(el('span', 'sugg-title'), r.title_html || '');
            if (!title.textContent) title.textContent = r.title || r.id;
            li.appendChild(badge(r.kind));
            li.appendChild(title);
            if (r.section && r.kind === 'manual') {
                var parts = String(r.section).split(' › ');
                li.appendChild(el('span', 'sugg-sub', parts[0]));
            }
            list.appendChild(li);
        });
        var all = el('li', 'suggestion suggestion-all');
        all.id = 'sugg-' + results.length;
        all.setAttribute('role', 'option');
        all.setAttribute('aria-selected', 'false');
        all.appendChild(el('span', 'sugg-title', 'Search all articles for “' + q + '”'));
        list.appendChild(all);
        list.hidden = false;
        sugg.open = true;
        ui.q.setAttribute('aria-expanded', 'true');
        ui.q.removeAttribute('aria-activedescendant');
        ui.suggStatus.textContent = results.length
            ? plural(results.length, 'suggestion', 'suggestions') + ' available.'
            : 'No suggestions.';
    }

    function suggestFetch() {
        var q = ui.q.value.trim();
        if (q.length < 2) { suggestClose(); return; }
        if (sugg.ctl) sugg.ctl.abort();
        var ctl = new AbortController();
        sugg.ctl = ctl;
        var seq = ++sugg.seq;
        api('/v1/related?limit=' + SUGGEST_LIMIT + '&q=' + encodeURIComponent(q),
            { signal: ctl.signal }).then(function (j) {
            if (seq !== sugg.seq || document.activeElement !== ui.q) return;
            suggestRender(q, j.results || [], j.query_id);
        }, function () {
            /* Type-ahead is a convenience: a failure just shows nothing. */
        });
    }

    function onQueryInput(e) {
        /* While an IME composes (pinyin), wait for the characters. */
        if (e && e.isComposing) return;
        clearTimeout(sugg.timer);
        if (ui.q.value.trim().length < 2) { suggestClose(); return; }
        sugg.timer = setTimeout(function () {
            sugg.timer = 0;
            suggestFetch();
        }, SUGGEST_DELAY_MS);
    }

    function onQueryKey(e) {
        if (e.isComposing || e.keyCode === 229) return; /* IME for Chinese */
        switch (e.key) {
        case 'ArrowDown':
            e.preventDefault();
            if (!sugg.open) {
                clearTimeout(sugg.timer);
                sugg.timer = 0;
                suggestFetch();
                return;
            }
            suggestSetActive(sugg.active + 1);
            break;
        case 'ArrowUp':
            if (!sugg.open) return;
            e.preventDefault();
            suggestSetActive(sugg.active - 1);
            break;
        case 'Enter':
            if (sugg.open && sugg.active >= 0) {
                e.preventDefault();
                suggestChoose(sugg.active);
            }
            break;
        case 'Escape':
            if (sugg.open || sugg.timer) {
                e.preventDefault();
                suggestClose();
            }
            break;
        case 'Tab':
            suggestClose();
            break;
        }
    }

    /* --- search results --- */

    var searchSeq = 0;

    function submitSearch() {
        var q = ui.q.value.trim();
        suggestClose();
        if (!q) { ui.q.focus(); return; }
        var href = searchHref({ q: q });
        if (location.hash === href) route();
        else location.hash = href;
    }

    function readSearchParams(qs) {
        var p = new URLSearchParams(qs);
        var off = parseInt(p.get('offset') || '0', 10);
        return {
            q: (p.get('q') || '').trim(),
            kind: p.get('kind') || '',
            product: p.get('product') || '',
            category: p.get('category') || '',
            offset: isFinite(off) && off > 0 ? off : 0
        };
    }

    function showSearch(qs) {
        var p = readSearchParams(qs);
        if (!p.q) { showHome(); return; }
        lastSearchHash = location.hash;
        if (ui.q.value.trim() !== p.q) ui.q.value = p.q;
        showView('results');
        document.title = p.q + ' · IT Help Center';
        /* group=1: a manual's sections come together, under its best. */
        var url = '/v1/search?group=1&limit=' + PAGE_SIZE + '&offset=' + p.offset +
            '&q=' + encodeURIComponent(p.q);
        FACETS.forEach(function (f) {
            if (p[f.key]) url += '&' + f.key + '=' + encodeURIComponent(p[f.key]);
        });
        var seq = ++searchSeq;
        ui.results.setAttribute('aria-busy', 'true');
        setStatus('Searching…');
        api(url).then(function (j) {
            if (seq !== searchSeq) return;
            renderResults(p, j);
        }, function (err) {
            if (seq !== searchSeq) return;
            ui.results.textContent = '';
            ui.results.removeAttribute('aria-busy');
            ui.filters.textContent = '';
            ui.pager.hidden = true;
            ui.dym.hidden = true;
            var li = el('li', 'empty');
            li.appendChild(el('p', 'empty-title', 'Search is not available right now.'));
            li.appendChild(el('p', null, err.message));
            ui.results.appendChild(li);
            setStatus('Search failed: ' + err.message);
        });
    }

    function renderResults(p, j) {
        var results = j.results || [];
        var total = j.total || 0;
        resultsQid = j.query_id || null;
        ui.results.textContent = '';
        ui.results.removeAttribute('aria-busy');

        if (j.did_you_mean) {
            ui.dym.textContent = '';
            ui.dym.appendChild(document.createTextNode('Showing results for '));
            ui.dym.appendChild(el('strong', null, j.did_you_mean));
            ui.dym.appendChild(document.createTextNode(' (you searched for “' + p.q + '”).'));
            ui.dym.hidden = false;
        } else {
            ui.dym.hidden = true;
        }

        var shown = j.did_you_mean || p.q;
        if (!total) {
            setStatus('No results for “' + shown + '”.');
            var li = el('li', 'empty');
            li.appendChild(el('p', 'empty-title', 'No articles match “' + shown + '”.'));
            li.appendChild(el('p', null, 'Try fewer or different words, or remove a filter.'));
            ui.results.appendChild(li);
        } else {
            var from = p.offset + 1, to = p.offset + results.length;
            setStatus(plural(total, 'result', 'results') + ' for “' + shown + '”' +
                      (total > results.length ? ', showing ' + from + '–' + to : '') + '.');
        }
        results.forEach(function (r, i) {
            var li = resultItem(r, p.offset + i, i + 1);
            if (r.parent) li.setAttribute('data-parent', r.parent);
            /* More of the article just above: shown as part of it. */
            if (i > 0 && r.parent && !r.pinned && results[i - 1].parent === r.parent)
                li.classList.add('result-more');
            ui.results.appendChild(li);
        });
        renderFacets(p, j.facets || {});

        ui.pager.hidden = total <= PAGE_SIZE;
        ui.prev.disabled = p.offset <= 0;
        ui.next.disabled = p.offset + PAGE_SIZE >= total;
        ui.pageInfo.textContent = 'Page ' + (Math.floor(p.offset / PAGE_SIZE) + 1) +
            ' of ' + Math.max(1, Math.ceil(total / PAGE_SIZE));
        ui.prev.onclick = function () {
            location.hash = searchHref(Object.assign({}, p, {
                offset: Math.max(0, p.offset - PAGE_SIZE) }));
        };
        ui.next.onclick = function () {
            location.hash = searchHref(Object.assign({}, p, { offset: p.offset + PAGE_SIZE }));
        };
    }

    function resultItem(r, rank, position) {
        var li = el('li', 'result' + (r.pinned ? ' pinned' : ''));
        li.setAttribute('data-id', r.id);
        if (r.lang) li.lang = r.lang;

        var top = el('p', 'result-top');
        top.appendChild(badge(r.kind));
        if (r.pinned) top.appendChild(el('span', 'badge badge-pinned', 'Recommended'));
        var crumbs = r.section ? String(r.section).split(' › ') : [];
        if (crumbs.length > 1) crumbs.pop(); /* the last one is the title */
        if (!crumbs.length && r.product) crumbs = [humanLabel(PRODUCT_LABEL, r.product)];
        if (crumbs.length) top.appendChild(el('span', 'crumb', crumbs.join(' › ')));
        li.appendChild(top);

        var h = el('h3', 'result-title');
        var a = el('a');
        a.href = docHref(r.id);
        a.setAttribute('data-rank', String(rank + 1));
        a.setAttribute('data-position', String(position));
        setMarked(a, r.title_html || '');
        if (!a.textContent) a.textContent = r.title || r.id;
        h.appendChild(a);
        li.appendChild(h);

        var text = r.answer || r.snippet || '';
        if (text) li.appendChild(setMarked(el('p', 'snippet'), text));
        if (r.resolution) {
            var res = el('p', 'snippet resolution-snippet');
            res.appendChild(el('strong', null, 'Resolution: '));
            res.appendChild(setMarked(el('span'), r.resolution));
            li.appendChild(res);
        }

        var meta = el('p', 'result-meta');
        meta.appendChild(timeEl(r.updated_at, 'Updated '));
        meta.appendChild(el('span', 'dot', '·'));
        meta.appendChild(el('span', null, 'v' + (r.version || 1)));
        li.appendChild(meta);
        return li;
    }

    function renderFacets(p, facets) {
        var box = ui.filters;
        box.textContent = '';
        var any = false;
        FACETS.forEach(function (f) {
            var counts = facets[f.key] || {};
            var keys = Object.keys(counts).sort(function (a, b) {
                return counts[b] - counts[a] || (a < b ? -1 : 1);
            }).slice(0, 8);
            if (p[f.key] && keys.indexOf(p[f.key]) < 0) keys.unshift(p[f.key]);
            if (!keys.length || (keys.length === 1 && !p[f.key] && f.key !== 'kind'))
                return;
            any = true;
            var group = el('div', 'facet');
            var titleId = 'facet-' + f.key;
            group.setAttribute('role', 'group');
            group.setAttribute('aria-labelledby', titleId);
            var t = el('h3', 'facet-title', f.title);
            t.id = titleId;
            group.appendChild(t);
            var ul = el('ul', 'facet-list');
            keys.forEach(function (k) {
                var on = p[f.key] === k;
                var item = el('li');
                var a = el('a', 'facet-link' + (on ? ' on' : ''));
                var next = Object.assign({}, p, { offset: 0 });
                next[f.key] = on ? '' : k;
                a.href = searchHref(next);
                a.setAttribute('aria-current', on ? 'true' : 'false');
                if (/[\u3400-\u9fff]/.test(k)) a.lang = 'zh';
                a.appendChild(el('span', 'facet-name', humanLabel(f.label, k)));
                a.appendChild(el('span', 'facet-count', String(counts[k] || 0)));
                if (on) {
                    a.appendChild(el('span', 'facet-remove', '×'));
                    a.setAttribute('aria-label', humanLabel(f.label, k) + ': remove this filter');
                }
                item.appendChild(a);
                ul.appendChild(item);
            });
            group.appendChild(ul);
            box.appendChild(group);
        });
        box.hidden = !any;
    }

    /* --- the article view --- */

    var docSeq = 0;
    var current = null; /* { id, version, current_version } */

    /* Plain text to paragraphs; runs of "1. …" or "- …" lines become lists. */
    function renderText(node, text) {
        node.textContent = '';
        String(text || '').replace(/\r\n?/g, '\n').split(/\n\s*\n/).forEach(function (block) {
            block = block.replace(/^\n+|\s+$/g, '');
            if (!block) return;
            var lines = block.split('\n');
            var num = /^\s*(\d+)[.)]\s+/, bullet = /^\s*[-*•]\s+/;
            var isNum = lines.every(function (l) { return num.test(l); });
            var isBullet = !isNum && lines.every(function (l) { return bullet.test(l); });
            if (isNum || isBullet) {
                var list = el(isNum ? 'ol' : 'ul');
                if (isNum) {
                    var start = parseInt(num.exec(lines[0])[1], 10);
                    if (start !== 1) list.start = start;
                }
                lines.forEach(function (l) {
                    list.appendChild(el('li', null, l.replace(isNum ? num : bullet, '')));
                });
                node.appendChild(list);
            } else {
                node.appendChild(el('p', null, block));
            }
        });
    }

    function showDoc(rawId, qs) {
        var id;
        try { id = decodeURIComponent(rawId); } catch (e) { id = rawId; }
        var v = parseInt(new URLSearchParams(qs).get('v') || '0', 10);
        if (!isFinite(v) || v < 0) v = 0;
        showView('doc');
        ui.back.href = lastSearchHash || '#/';
        ui.back.textContent = lastSearchHash ? '← Back to results' : '← Help Center home';
        var seq = ++docSeq;
        var enc = encodeURIComponent(id);
        setStatus('Loading article…');
        ui.doc.setAttribute('aria-busy', 'true');
        Promise.all([
            api('/v1/documents/' + enc + (v ? '?version=' + v : '')),
            api('/v1/documents/' + enc + '/versions').catch(function () { return null; })
        ]).then(function (res) {
            if (seq !== docSeq) return;
            renderDoc(res[0], res[1]);
            setStatus('');
            ui.docTitle.focus({ preventScroll: true });
            window.scrollTo(0, 0);
        }, function (err) {
            if (seq !== docSeq) return;
            ui.doc.removeAttribute('aria-busy');
            renderDocError(id, err);
        });
    }

    function renderDocError(id, err) {
        current = null;
        ui.docKind.hidden = true;
        ui.docSection.textContent = '';
        ui.docTitle.textContent = err.status === 404 ? 'Article not found'
                                                     : 'This article could not be loaded';
        ui.docVersion.hidden = true;
        ui.docUpdated.textContent = '';
        ui.docOld.hidden = true;
        renderText(ui.docBody, err.status === 404
            ? 'The article “' + id + '” does not exist, is not published, or has been withdrawn.'
            : err.message);
        ui.resWrap.hidden = true;
        ui.docTags.hidden = true;
        ui.feedback.hidden = true;
        ui.history.textContent = '';
        ui.relatedCard.hidden = true;
        document.title = 'Article not found · IT Help Center';
        setStatus(ui.docTitle.textContent + '.');
    }

    function renderDoc(d, versions) {
        var cur = d.current_version || d.version;
        current = { id: d.id, version: d.version, current_version: cur };
        ui.doc.removeAttribute('aria-busy');
        ui.doc.lang = d.lang || 'en';
        document.title = (d.title || d.id) + ' · IT Help Center';

        ui.docKind.hidden = false;
        ui.docKind.className = 'badge badge-' + (KIND_LABEL[d.kind] ? d.kind : 'other');
        ui.docKind.textContent = humanLabel(KIND_LABEL, d.kind || 'article');
        var crumbs = d.section ? String(d.section).split(' › ') : [];
        if (crumbs.length > 1) crumbs.pop();
        if (!crumbs.length && d.product) crumbs = [humanLabel(PRODUCT_LABEL, d.product)];
        ui.docSection.textContent = crumbs.join(' › ');

        ui.docTitle.textContent = d.title || d.id;
        ui.docVersion.hidden = false;
        ui.docVersion.textContent = 'Version ' + d.version;
        ui.docUpdated.textContent = '';
        ui.docUpdated.appendChild(timeEl(d.updated_at, 'Updated '));

        if (d.version !== cur) {
            ui.docOld.textContent = '';
            ui.docOld.appendChild(document.createTextNode(
                'You are viewing version ' + d.version + ', an older version of this article. '));
            var a = el('a', null, 'Read the current version (' + cur + ')');
            a.href = docHref(d.id);
            ui.docOld.appendChild(a);
            ui.docOld.appendChild(document.createTextNode('.'));
            ui.docOld.hidden = false;
        } else {
            ui.docOld.hidden = true;
        }

        renderText(ui.docBody, d.body);
        ui.resWrap.hidden = !d.resolution;
        renderText(ui.resolution, d.resolution);

        var tags = Array.isArray(d.tags) ? d.tags : [];
        ui.docTags.textContent = '';
        tags.forEach(function (t) {
            var a = el('a', 'tag', t);
            a.href = searchHref({ q: String(t) });
            if (/[\u3400-\u9fff]/.test(t)) a.lang = 'zh';
            ui.docTags.appendChild(a);
        });
        ui.docTags.hidden = !tags.length;

        renderFeedback(d);
        renderHistory(d, versions, cur);
        renderRelated(d);
    }

    function renderHistory(d, versions, cur) {
        var list = ui.history;
        list.textContent = '';
        var vs = versions && Array.isArray(versions.versions) ? versions.versions.slice() : [];
        if (!vs.length) vs = [{ version: d.version, updated_at: d.updated_at }];
        vs.sort(function (a, b) { return b.version - a.version; });
        vs.forEach(function (v) {
            var li = el('li', 'history-item' + (v.version === d.version ? ' viewing' : ''));
            var a = el('a', 'history-link');
            a.href = docHref(d.id, v.version === cur ? 0 : v.version);
            a.setAttribute('data-version', String(v.version));
            a.appendChild(el('span', 'history-v', 'Version ' + v.version));
            var notes = [];
            if (v.version === cur) notes.push('current');
            if (v.version === d.version) notes.push('viewing');
            if (notes.length) a.appendChild(el('span', 'history-note', notes.join(', ')));
            a.appendChild(timeEl(v.updated_at));
            if (v.version === d.version) a.setAttribute('aria-current', 'page');
            li.appendChild(a);
            list.appendChild(li);
        });
    }

    function votedKey(id, v) { return 'deskdex-voted:' + id + ':' + v; }

    function renderCounts(fb) {
        fb = fb || {};
        var yes = fb.helpful || 0, no = fb.not_helpful || 0;
        ui.fbCounts.textContent = '';
        var y = el('span', 'fb-count', String(yes));
        y.id = 'fb-helpful';
        var n = el('span', 'fb-count', String(no));
        n.id = 'fb-not-helpful';
        ui.fbCounts.appendChild(y);
        ui.fbCounts.appendChild(document.createTextNode(
            (yes === 1 ? ' person' : ' people') + ' found this helpful, '));
        ui.fbCounts.appendChild(n);
        ui.fbCounts.appendChild(document.createTextNode(' did not.'));
    }

    function renderFeedback(d) {
        /* Votes count for the current version, so only offer them there. */
        var isCurrent = d.version === (d.current_version || d.version);
        ui.feedback.hidden = !isCurrent;
        renderCounts(d.feedback);
        var voted = null;
        try { voted = sessionStorage.getItem(votedKey(d.id, d.version)); } catch (e) { /* private mode */ }
        ui.fbYes.disabled = ui.fbNo.disabled = !!voted;
        ui.fbYes.setAttribute('aria-pressed', voted === 'yes' ? 'true' : 'false');
        ui.fbNo.setAttribute('aria-pressed', voted === 'no' ? 'true' : 'false');
        ui.fbThanks.hidden = !voted;
        ui.fbThanks.textContent = voted ? 'Thanks, your answer was recorded.' : '';
    }

    function sendFeedback(helpful) {
        if (!current) return;
        var c = current;
        ui.fbYes.disabled = ui.fbNo.disabled = true;
        var body = { helpful: helpful };
        if (opened && opened.id === c.id && opened.qid) body.query_id = opened.qid;
        api('/v1/documents/' + encodeURIComponent(c.id) + '/feedback', {
            method: 'POST', body: body
        }).then(function (j) {
            if (current !== c) return;
            renderCounts(j.feedback);
            (helpful ? ui.fbYes : ui.fbNo).setAttribute('aria-pressed', 'true');
            try { sessionStorage.setItem(votedKey(c.id, c.version), helpful ? 'yes' : 'no'); } catch (e) { /* ignore */ }
            ui.fbThanks.textContent = helpful
                ? 'Thanks! Glad it helped.'
                : 'Thanks for telling us. If you still need help, open a ticket and the Service Desk will improve this article.';
            ui.fbThanks.hidden = false;
        }, function (err) {
            if (current !== c) return;
            ui.fbYes.disabled = ui.fbNo.disabled = false;
            ui.fbThanks.textContent = 'Your answer could not be saved: ' + err.message;
            ui.fbThanks.hidden = false;
        });
    }

    function renderRelated(d) {
        var seq = docSeq;
        ui.relatedCard.hidden = true;
        ui.related.textContent = '';
        if (!d.title) return;
        var q = String(d.title).slice(0, 200);
        api('/v1/related?limit=6&q=' + encodeURIComponent(q)).then(function (j) {
            if (seq !== docSeq) return;
            var rs = (j.results || []).filter(function (r) { return r.id !== d.id; }).slice(0, 4);
            rs.forEach(function (r, i) {
                var li = el('li');
                if (r.lang) li.lang = r.lang;
                var a = el('a', null, r.title || r.id);
                a.href = docHref(r.id);
                /* A click counts for the related call that listed it. */
                a.addEventListener('click', function () { sendClick(j.query_id, r.id, i + 1); });
                li.appendChild(a);
                li.appendChild(el('span', 'related-kind', humanLabel(KIND_LABEL, r.kind)));
                ui.related.appendChild(li);
            });
            ui.relatedCard.hidden = !rs.length;
        }, function () { /* optional */ });
    }

    /* --- routing --- */

    function showHome() {
        showView('home');
        setStatus('');
        document.title = 'IT Help Center';
    }

    function route() {
        var h = location.hash.replace(/^#/, '');
        var qi = h.indexOf('?');
        var path = qi >= 0 ? h.slice(0, qi) : h;
        var qs = qi >= 0 ? h.slice(qi + 1) : '';
        suggestClose();
        var m = /^\/doc\/(.+)$/.exec(path);
        if (m) showDoc(m[1], qs);
        else if (path === '/search') showSearch(qs);
        else showHome();
    }

    function init() {
        ui = {
            q: $('q'), form: $('search-form'), suggestions: $('suggestions'),
            suggStatus: $('sugg-status'), status: $('status'),
            view_home: $('view-home'), view_results: $('view-results'), view_doc: $('view-doc'),
            results: $('results'), filters: $('filters'), dym: $('dym'),
            pager: $('pager'), prev: $('prev'), next: $('next'), pageInfo: $('page-info'),
            doc: $('view-doc'), back: $('back-link'), docKind: $('doc-kind'),
            docSection: $('doc-section'), docTitle: $('doc-title'), docVersion: $('doc-version'),
            docUpdated: $('doc-updated'), docOld: $('doc-old'), docBody: $('doc-body'),
            resWrap: $('doc-resolution-wrap'), resolution: $('doc-resolution'),
            docTags: $('doc-tags'), feedback: $('feedback'), fbYes: $('fb-yes'), fbNo: $('fb-no'),
            fbCounts: $('fb-counts'), fbThanks: $('fb-thanks'), history: $('history'),
            related: $('related'), relatedCard: $('related-card')
        };
        ui.form.addEventListener('submit', function (e) {
            e.preventDefault();
            submitSearch();
        });
        ui.q.addEventListener('input', onQueryInput);
        ui.q.addEventListener('compositionend', function () { onQueryInput(); });
        ui.q.addEventListener('keydown', onQueryKey);
        ui.q.addEventListener('blur', function () {
            setTimeout(function () {
                if (document.activeElement !== ui.q) suggestClose();
            }, 150);
        });
        /* mousedown keeps focus in the input so blur does not close the list
         * before the click lands. */
        ui.suggestions.addEventListener('mousedown', function (e) { e.preventDefault(); });
        ui.suggestions.addEventListener('click', function (e) {
            var li = e.target.closest('[role="option"]');
            if (!li) return;
            suggestChoose(Array.prototype.indexOf.call(ui.suggestions.children, li));
        });
        ui.suggestions.addEventListener('mousemove', function (e) {
            var li = e.target.closest('[role="option"]');
            if (!li) return;
            var i = Array.prototype.indexOf.call(ui.suggestions.children, li);
            if (i !== sugg.active) suggestSetActive(i);
        });
        /* A result opened by mouse (any button) or keyboard. */
        var onOpen = function (e) {
            if (e.type === 'auxclick' && e.button !== 1) return;
            var a = e.target.closest('.result-title a[data-position]');
            if (!a) return;
            var li = a.closest('li.result');
            sendClick(resultsQid, li && li.getAttribute('data-id'),
                      parseInt(a.getAttribute('data-position'), 10) || 1);
        };
        ui.results.addEventListener('click', onOpen);
        ui.results.addEventListener('auxclick', onOpen);
        ui.fbYes.addEventListener('click', function () { sendFeedback(true); });
        ui.fbNo.addEventListener('click', function () { sendFeedback(false); });
        window.addEventListener('hashchange', route);
        document.documentElement.classList.add('js');
        route();
        if (document.body.getAttribute('data-view') === 'home') ui.q.focus();
    }

    if (document.readyState === 'loading')
        document.addEventListener('DOMContentLoaded', init);
    else
        init();
})();
