/*
 * explorer.js: the request explorer (requests.html).
 *
 * Reads data/requests/index.json (the days of site.explorer_days, newest
 * first, each with the rows and bytes of its chunks) and, as it needs
 * them, a day's index.json (per chunk: rows by source, status, model),
 * its chunks DAY/N.json (rows oldest first) and its id buckets
 * DAY/ids-B-K.json, one set per block of chunks (render/explore.c writes
 * them; docs/api.md has the format).  It lists the rows newest first,
 * 100 to a page, filtered by
 * source, status, model, user (exactly) and text in the command (any
 * case); or finds one request by its id.  The filters live in the URL's
 * fragment, so a view can be linked: #source=web&status=error&page=2,
 * #id=REQUEST_ID.
 *
 * One view never reads more than BUDGET bytes of chunks: a chunk that
 * the counts of its day show to hold no match, or only matches of pages
 * before this one, is not read at all; when a filter needs more chunks
 * than that, the view says how far back it searched and offers to search
 * further.  A lookup reads one id bucket of each block of a day until
 * it finds the id, then the one chunk that holds it.
 *
 * Every string from the data goes into the page as text (textContent,
 * setAttribute), never as markup.  The CSV of a view has the columns and
 * escaping of the daily exports (render/explore.c, esc_csv()).
 *
 * window.apimonExplorer = { state, manifest, view, ... } for tests.
 */
(function () {
	'use strict';

	var PAGE = 100;
	var BUDGET = 900 * 1024;	/* bytes of data a view reads: with the page < 1 MB */
	var BASE = 'data/requests/';
	var FORMAT = 'apimon-explorer-2';
	var COLUMNS = ['request_id', 'ts_ms', 'source', 'user_id', 'command',
	    'model', 'provider', 'status', 'latency_us', 'ttft_us',
	    'input_tokens', 'output_tokens', 'tokens', 'cost_nusd',
	    'cost_source', 'error', 'metadata', 'received_ms'];
	var STATUSES = ['success', 'error', 'timeout', 'rate_limited'];
	var FILTERS = ['source', 'status', 'model', 'user', 'q'];
	var FACETS = { source: 'sources', status: 'statuses', model: 'models' };
	var CSV_HEADER = 'request_id,time,source,user_id,command,model,' +
	    'provider,status,latency_s,ttft_s,input_tokens,output_tokens,' +
	    'tokens,cost_usd,cost_source,error,metadata,received\r\n';
	var NONE = '—';
	var C = {};	/* column name -> index */

	COLUMNS.forEach(function (c, i) { C[c] = i; });

	/* The page's words: the scripts' and the explorer's own. */
	var F = (function () {
		var cat = {}, words = {}, k;
		var el = document.getElementById('apimon-i18n');

		try {
			cat = JSON.parse(el.textContent) || {};
		} catch (e) { /* English */ }
		for (k in cat.js || {})
			words[k] = cat.js[k];
		for (k in cat.xp || {})
			words[k] = cat.xp[k];
		var f = window.apimonFormat.forLocale(
		    document.documentElement.getAttribute('lang'), words, cat.source);
		return f;
	}());
	var T = F.t;

	var X = {
		state: {},
		manifest: null,
		view: null,		/* what the table shows, for tests */
		fetched: 0,		/* bytes read by the last view */
		cache: {},		/* url -> parsed JSON */
		busy: null
	};
	window.apimonExplorer = X;

	/* ---------- small helpers ---------- */

	function $(id) { return document.getElementById(id); }

	var el = F.el, clear = F.clear, cell = F.cell;

	function zone() {
		return X.manifest && typeof X.manifest.timezone === 'string' ?
		    X.manifest.timezone : undefined;
	}

	/* The FNV-1a hash of s's UTF-8 bytes (render/explore.c fnv1a32()). */
	function fnv1a(s) {
		var b = new TextEncoder().encode(s), h = 0x811c9dc5, i;

		for (i = 0; i < b.length; i++)
			h = Math.imul(h ^ b[i], 16777619) >>> 0;
		return h >>> 0;
	}

	/* v / 10^scale with all its decimals, from an integer: exact. */
	function fixed(v, scale) {
		var p = Math.pow(10, scale);
		var frac = String(v % p);

		while (frac.length < scale)
			frac = '0' + frac;
		return String(Math.floor(v / p)) + '.' + frac;
	}

	/* One CSV cell as esc_csv() writes it (render/esc.c). */
	function csvCell(s) {
		var quote = /[,"\r\n]/.test(s);
		var out = (s !== '' && '=+-@'.indexOf(s.charAt(0)) >= 0 ? '\'' : '') +
		    s.replace(/"/g, '""');

		return quote ? '"' + out + '"' : out;
	}

	/* A row as a line of the daily CSV export. */
	function csvLine(r) {
		var str = function (v) { return v === null ? '' : csvCell(String(v)); };
		var num = function (v, scale) {
			return v === null ? '' : scale ? fixed(v, scale) : String(v);
		};

		return [str(r[C.request_id]), new Date(r[C.ts_ms]).toISOString(),
			str(r[C.source]), str(r[C.user_id]), str(r[C.command]),
			str(r[C.model]), str(r[C.provider]), str(r[C.status]),
			num(r[C.latency_us], 6), num(r[C.ttft_us], 6),
			num(r[C.input_tokens], 0), num(r[C.output_tokens], 0),
			num(r[C.tokens], 0), num(r[C.cost_nusd], 9),
			str(r[C.cost_source]), str(r[C.error]), str(r[C.metadata]),
			new Date(r[C.received_ms]).toISOString()].join(',') + '\r\n';
	}

	/* ---------- the data ---------- */

	function Stale() {}

	/* A file of the data, parsed; bytes counts what was read. */
	function load(url, bytes) {
		if (Object.prototype.hasOwnProperty.call(X.cache, url))
			return Promise.resolve(X.cache[url]);
		return fetch(url, { cache: 'no-store' }).then(function (r) {
			if (!r.ok)
				throw new Error(url + ': HTTP ' + r.status);
			return r.text();
		}).then(function (text) {
			var o = JSON.parse(text);

			if (bytes)
				bytes.n += text.length;
			X.cache[url] = o;
			return o;
		});
	}

	/*
	 * A file of day d: it must be the one the manifest names (a chunk
	 * by the hash of its rows, a bucket by its block's signature, the
	 * day's index by the day's).
	 */
	function loadDay(d, name, bytes) {
		var k = /^[0-9]+\.json$/.test(name) ? parseInt(name, 10) : -1;
		var b = /^(ids|users)-([0-9]+)-/.exec(name);
		var want = b ? ((d.blocks || [])[parseInt(b[2], 10)] || {}).v :
		    d.v;

		return load(BASE + d.day + '/' + name, bytes).then(function (o) {
			if (!o || o.format !== FORMAT || (k >= 0 ?
			    o.h !== (d.hashes || [])[k] : o.v !== want))
				throw new Stale();
			return o;
		});
	}

	/* The bucket of key in each block of day d: KIND-B-K.json. */
	function buckets(d, kind, key, bytes) {
		return Promise.all((d.blocks || []).map(function (blk, b) {
			return loadDay(d, kind + '-' + b + '-' + fnv1a(key) %
			    Math.max(1, blk[kind]) + '.json', bytes);
		}));
	}

	function manifest() {
		delete X.cache[BASE + 'index.json'];
		return load(BASE + 'index.json').then(function (m) {
			if (!m || m.format !== FORMAT || !Array.isArray(m.days))
				throw new Error(BASE + 'index.json');
			X.manifest = m;
			return m;
		});
	}

	/* Every chunk, newest first: { d, k, n, bytes }. */
	function chunks() {
		var out = [];

		X.manifest.days.forEach(function (d) {
			var k;

			for (k = d.chunks.length - 1; k >= 0; k--)
				out.push({ d: d, k: k, n: d.chunks[k],
				    bytes: d.bytes[k] || 0 });
		});
		return out;
	}

	function active(f) {
		return FILTERS.filter(function (k) { return f[k]; });
	}

	function matches(f, r) {
		return (!f.source || r[C.source] === f.source) &&
		    (!f.status || r[C.status] === f.status) &&
		    (!f.model || r[C.model] === f.model) &&
		    (!f.user || r[C.user_id] === f.user) &&
		    (!f.q || (r[C.command] || '').toLowerCase()
		    .indexOf(f.q.toLowerCase()) >= 0);
	}

	/*
	 * What the day's counts say about the chunk's matches: { n, exact }.
	 * Its rows by (source, status, model) are in the day's index, a
	 * user's rows per chunk in the user's bucket: either alone counts
	 * exactly; together, or with a text to find, they only bound.
	 */
	function counted(f, c, idx, users) {
		var n = c.n, facet = false, exact = true;
		var info = idx && idx.chunks && idx.chunks[c.k];

		if (idx) {
			var want = ['sources', 'statuses', 'models'].map(function (k, i) {
				var v = f[['source', 'status', 'model'][i]];

				return v ? (idx[k] || []).indexOf(v) : null;
			});

			facet = true;
			n = ((info && info.cells) || []).reduce(function (sum, cell) {
				return want.every(function (w, i) {
					return w === null || cell[i] === w;
				}) ? sum + cell[3] : sum;
			}, 0);
		}
		if (users) {
			var u = users.users && Object.prototype.hasOwnProperty.call(
			    users.users, f.user) ? users.users[f.user] : [];
			var m = 0;

			u.forEach(function (x) {
				if (x[0] === c.k)
					m = x[1];
			});
			exact = !facet;
			n = Math.min(n, m);
		}
		return { n: n, exact: exact && !f.q };
	}

	/*
	 * The user's rows per chunk of day d, from the user's bucket of
	 * every block: { users: { USER: [[chunk, rows], ...] } }.
	 */
	function userRows(d, user, bytes) {
		return buckets(d, 'users', user, bytes).then(function (bs) {
			var u = [], set = Object.create(null);	/* "__proto__" too */

			bs.forEach(function (o) {
				if (o.users && Object.prototype.hasOwnProperty.call(
				    o.users, user))
					u = u.concat(o.users[user]);
			});
			if (u.length)
				set[user] = u;
			return { users: set };
		});
	}

	/* The day's files that count rows for filter f: [index, users]. */
	function counts(f, d, bytes) {
		var facet = Object.keys(FACETS).some(function (k) { return f[k]; });

		return Promise.all([facet ? loadDay(d, 'index.json', bytes) : null,
		    f.user ? userRows(d, f.user, bytes) : null]);
	}

	/*
	 * The rows of page p (0 first) of filter f, newest first: { rows,
	 * before (matches on earlier pages), total (null when not known),
	 * more (a later page may have rows), cut (the budget stopped the
	 * search before the chunk of day cutAt that ends at cutMs) }.  The
	 * counts of every day come first: with them a chunk without a match,
	 * or with matches of earlier pages only, is never read.
	 */
	function query(f, p) {
		var list = chunks(), bytes = { n: 0 }, want = p * PAGE;
		var v = { rows: [], before: want, total: null, more: false,
		    cut: false, cutAt: null, cutMs: null };
		var seen = 0, tally = 0, stopped = false, i = 0;

		/* The chunk's rows, newest first, into the page. */
		function take(ch) {
			var j, r;

			for (j = ch.rows.length - 1; j >= 0; j--) {
				r = ch.rows[j];
				if (!matches(f, r))
					continue;
				tally++;
				if (seen < want)
					seen++;
				else if (v.rows.length < PAGE)
					v.rows.push(r);
			}
		}

		function next() {
			var c = list[i++], url;

			if (!c)
				return Promise.resolve();
			url = BASE + c.d.day + '/' + c.k + '.json';
			if (c.info.n === 0)
				return next();
			if (c.info.exact && (seen + c.info.n <= want ||
			    v.rows.length >= PAGE)) {
				/* its matches are known without reading it */
				tally += c.info.n;
				if (v.rows.length < PAGE)
					seen += c.info.n;
				return next();
			}
			if (v.rows.length >= PAGE) {
				stopped = true;	/* more may follow */
				return Promise.resolve();
			}
			if (!Object.prototype.hasOwnProperty.call(X.cache, url) &&
			    bytes.n > 0 && bytes.n + c.bytes > BUDGET) {
				v.cut = true;
				v.cutAt = c.d.day;
				v.cutMs = chunkEnd(c);
				stopped = true;
				return Promise.resolve();
			}
			return loadDay(c.d, c.k + '.json', bytes).then(function (ch) {
				take(ch);
				return next();
			});
		}

		return Promise.all(X.manifest.days.map(function (d) {
			return counts(f, d, bytes);
		})).then(function (cs) {
			var exact = true, total = 0;

			list.forEach(function (c) {
				var x = cs[X.manifest.days.indexOf(c.d)];

				c.info = counted(f, c, x[0], x[1]);
				exact = exact && c.info.exact;
				total += c.info.n;
			});
			return next().then(function () {
				v.total = exact ? total : stopped ? null : tally;
				v.more = v.total === null || v.total > want + v.rows.length;
				X.fetched = bytes.n;
				return v;
			});
		});
	}

	/* The newest time a chunk may hold: where a cut search stopped. */
	function chunkEnd(c) {
		var idx = X.cache[BASE + c.d.day + '/index.json'];
		var info = idx && idx.chunks && idx.chunks[c.k];

		return info && typeof info.to_ms === 'number' ? info.to_ms : null;
	}

	/* The row with request id, or null; the day it is in. */
	function lookup(id) {
		var days = X.manifest.days.slice(), bytes = { n: 0 };

		function next() {
			var d = days.shift();

			if (!d)
				return Promise.resolve(null);
			return buckets(d, 'ids', id, bytes).then(function (bs) {
				var k = null;

				bs.forEach(function (o) {
					if (o.ids && Object.prototype.hasOwnProperty.call(
					    o.ids, id))
						k = o.ids[id];
				});

				if (typeof k !== 'number')
					return next();
				return loadDay(d, k + '.json', bytes).then(function (ch) {
					var r = ch.rows.filter(function (x) {
						return x[C.request_id] === id;
					})[0];

					X.fetched = bytes.n;
					return r ? { row: r, day: d.day } : next();
				});
			});
		}
		return next().then(function (v) {
			X.fetched = bytes.n;
			return v;
		});
	}

	/* ---------- the URL ---------- */

	function readHash() {
		var p = new URLSearchParams(location.hash.replace(/^#/, ''));
		var s = {}, n;

		FILTERS.forEach(function (k) { s[k] = p.get(k) || ''; });
		s.id = p.get('id') || '';
		n = parseInt(p.get('page') || '1', 10);
		s.page = isFinite(n) && n >= 1 && n <= 1e6 ? n : 1;
		return s;
	}

	function hashOf(s) {
		var p = new URLSearchParams();

		if (s.id)
			p.set('id', s.id);
		else {
			FILTERS.forEach(function (k) {
				if (s[k])
					p.set(k, s[k]);
			});
			if (s.page > 1)
				p.set('page', String(s.page));
		}
		return '#' + p.toString();
	}

	function go(s) {
		var h = hashOf(s);

		if (location.hash !== h && !(h === '#' && location.hash === ''))
			history.pushState(null, '', h === '#' ? location.pathname : h);
		return run();
	}

	/* ---------- the page ---------- */

	function note(text) {
		$('xp-note').textContent = text || '';
	}

	function when(ms, secs) {
		return F.dayShort(ms, zone()) + ' ' + F.time(ms, zone(), secs);
	}

	function statusText(s) {
		return F.has('status_' + s) ? T('status_' + s) : String(s);
	}

	function idLink(id) {
		var a = el('a', 'rid', id);

		a.setAttribute('href', hashOf({ id: id }));
		a.title = id;
		return a;
	}

	function table(rows) {
		var tbody = document.querySelector('#xp-table tbody');
		var frag = document.createDocumentFragment();

		rows.forEach(function (r) {
			var tr = el('tr'), td = el('td', 'time'), t = el('time');
			var st = r[C.status];

			t.setAttribute('datetime', new Date(r[C.ts_ms]).toISOString());
			t.textContent = when(r[C.ts_ms], true);
			td.appendChild(t);
			tr.appendChild(td);
			td = el('td');
			td.appendChild(idLink(r[C.request_id]));
			tr.appendChild(td);
			cell(tr, 'source', sourceName(r[C.source]), true);
			cell(tr, 'user', r[C.user_id], true);
			cell(tr, 'command', r[C.command], true);
			cell(tr, 'model', r[C.model], true);
			td = el('td');
			td.appendChild(el('span', 'status ' + (STATUSES.indexOf(st) >= 0 ?
			    st : 'other'), statusText(st)));
			tr.appendChild(td);
			cell(tr, 'num', F.fixed(r[C.latency_us] / 1e6, 3));
			cell(tr, 'num', F.integer(r[C.tokens]));
			cell(tr, 'num', F.fixed(r[C.cost_nusd] / 1e9, 6));
			frag.appendChild(tr);
		});
		if (rows.length === 0) {
			var tr = el('tr', 'empty'), td = el('td', 'empty', T('xp_no_match'));

			td.colSpan = 10;
			tr.appendChild(td);
			frag.appendChild(tr);
		}
		clear(tbody);
		tbody.appendChild(frag);
	}

	function sourceName(s) {
		var n = X.manifest && X.manifest.source_names &&
		    X.manifest.source_names[s];

		return typeof n === 'string' && n ? n : F.sourceName(s);
	}

	function pager(s, v) {
		var from = v.before + 1, to = v.before + v.rows.length;

		$('xp-pager').hidden = false;
		$('xp-newer').disabled = s.page <= 1;
		$('xp-older').disabled = !v.more || v.cut;
		$('xp-more').hidden = !v.cut;
		$('xp-page').textContent = T('xp_page', { n: F.integer(s.page) });
		var cut = v.cut ? T('xp_searched', { time: v.cutMs !== null ?
		    when(v.cutMs) : F.dateFull(v.cutAt) }) : '';

		if (v.rows.length === 0)
			note(v.cut ? cut : T('xp_no_match'));
		else
			note((v.total !== null ? T('xp_range', { from: F.integer(from),
			    to: F.integer(to), total: F.integer(v.total) }) :
			    T('xp_range_more', { from: F.integer(from), to: F.integer(to),
			    total: F.integer(to) })) + (cut ? ' ' + cut : ''));
	}

	function detail(found) {
		var box = $('xp-detail'), r = found.row, dir = BASE + found.day + '/';
		var v = {
			request_id: r[C.request_id],
			time: F.dateTimeFull(r[C.ts_ms], zone(), true) + ' (' +
			    new Date(r[C.ts_ms]).toISOString() + ')',
			source: sourceName(r[C.source]) + (sourceName(r[C.source]) !==
			    r[C.source] ? ' (' + r[C.source] + ')' : ''),
			user_id: r[C.user_id],
			command: r[C.command],
			model: r[C.model],
			provider: r[C.provider],
			status: statusText(r[C.status]),
			latency_s: fixed(r[C.latency_us], 6),
			ttft_s: r[C.ttft_us] === null ? null : fixed(r[C.ttft_us], 6),
			input_tokens: r[C.input_tokens] === null ? null :
			    F.integer(r[C.input_tokens]),
			output_tokens: r[C.output_tokens] === null ? null :
			    F.integer(r[C.output_tokens]),
			tokens: F.integer(r[C.tokens]),
			cost_usd: fixed(r[C.cost_nusd], 9),
			cost_source: F.has('cost_source_' + r[C.cost_source]) ?
			    T('cost_source_' + r[C.cost_source]) : r[C.cost_source],
			error: r[C.error],
			metadata: r[C.metadata],
			received: F.dateTimeFull(r[C.received_ms], zone(), true)
		};

		Array.prototype.forEach.call(box.querySelectorAll('dd[data-f]'),
		    function (dd) {
			var x = v[dd.getAttribute('data-f')];

			dd.textContent = x === null || x === undefined || x === '' ?
			    NONE : String(x);
		});
		$('xp-detail-csv').setAttribute('href', dir + 'requests.csv');
		$('xp-detail-csv').setAttribute('download',
		    'apimon-requests-' + found.day + '.csv');
		$('xp-detail-ndjson').setAttribute('href', dir + 'requests.ndjson');
		$('xp-detail-ndjson').setAttribute('download',
		    'apimon-requests-' + found.day + '.ndjson');
		box.hidden = false;
	}

	/* The form as the state says. */
	function form(s) {
		var m = X.manifest;

		options($('xp-source'), m.sources || [], s.source, sourceName);
		options($('xp-status'), STATUSES, s.status, statusText);
		options($('xp-model'), (m.models || []).filter(Boolean), s.model,
		    function (x) { return x; });
		$('xp-user').value = s.user;
		$('xp-q').value = s.q;
		$('xp-id').value = s.id;
	}

	/* A select's options after its first ("all"); the chosen one kept. */
	function options(sel, values, chosen, name) {
		var list = values.slice();

		if (chosen && list.indexOf(chosen) < 0)
			list.push(chosen);
		while (sel.options.length > 1)
			sel.remove(1);
		list.forEach(function (v) {
			var o = el('option', null, name(v));

			o.value = v;
			sel.appendChild(o);
		});
		sel.value = chosen || '';
	}

	function stateOfForm() {
		return { source: $('xp-source').value, status: $('xp-status').value,
			model: $('xp-model').value, user: $('xp-user').value.trim(),
			q: $('xp-q').value.trim(), id: '', page: 1 };
	}

	/*
	 * Show the view of the URL; retried once with new data when stale.
	 * Only the newest run shows what it found: hash changes in quick
	 * succession would otherwise finish out of order.
	 */
	var runs = 0;

	function run(tries) {
		var s = readHash(), my = ++runs;

		X.state = s;
		tries = tries || 0;
		form(s);
		note(T('xp_loading'));
		X.busy = (s.id ? showLookup(s, my) : showList(s, my)).catch(function (e) {
			if (my !== runs)
				return;
			if (e instanceof Stale && tries < 2) {
				X.cache = {};
				return manifest().then(function () {
					return run(tries + 1);
				}).then(function () {
					note(T('xp_changed') + ' ' + $('xp-note').textContent);
				});
			}
			note(T('xp_failed', { what: e instanceof Stale ? BASE :
			    e && e.message ? e.message : String(e) }));
			X.view = { error: true };
		});
		return X.busy;
	}

	function showList(s, my) {
		$('xp-detail').hidden = true;
		return query(s, s.page - 1).then(function (v) {
			if (my !== runs)
				return;
			X.view = v;
			table(v.rows);
			pager(s, v);
		});
	}

	function showLookup(s, my) {
		$('xp-pager').hidden = true;
		clear(document.querySelector('#xp-table tbody'));
		return lookup(s.id).then(function (found) {
			if (my !== runs)
				return;
			X.view = { found: found };
			if (!found) {
				$('xp-detail').hidden = true;
				note(T('xp_not_found', { id: s.id,
				    days: F.integer(X.manifest.explorer_days) }));
				return;
			}
			detail(found);
			table([found.row]);
			note('');
		});
	}

	/* Every matching row of the window, newest first, as CSV. */
	function download() {
		var f = X.state, list = chunks(), lines = [CSV_HEADER], n = 0;
		var b = $('xp-csv');

		b.disabled = true;
		note(T('xp_csv_busy'));
		return list.reduce(function (p, c) {
			return p.then(function () {
				return loadDay(c.d, c.k + '.json');
			}).then(function (ch) {
				var j;

				for (j = ch.rows.length - 1; j >= 0; j--)
					if (matches(f, ch.rows[j])) {
						lines.push(csvLine(ch.rows[j]));
						n++;
					}
			});
		}, Promise.resolve()).then(function () {
			var a = el('a');
			var url = URL.createObjectURL(new Blob(lines,
			    { type: 'text/csv' }));

			X.csv = lines.join('');
			a.href = url;
			a.download = 'apimon-requests-' + X.manifest.first_day + '-' +
			    X.manifest.today + '.csv';
			document.body.appendChild(a);
			a.click();
			a.remove();
			setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
			note(F.plural('xp_csv_done', n, { count: F.integer(n) }));
		}).catch(function (e) {
			note(T('xp_failed', { what: e && e.message ? e.message : BASE }));
		}).then(function () {
			b.disabled = false;
		});
	}

	function init() {
		$('xp-filters').addEventListener('submit', function (ev) {
			ev.preventDefault();
			go(stateOfForm());
		});
		['xp-source', 'xp-status', 'xp-model'].forEach(function (id) {
			$(id).addEventListener('change', function () {
				go(stateOfForm());
			});
		});
		$('xp-clear').addEventListener('click', function () {
			go({ source: '', status: '', model: '', user: '', q: '',
			    id: '', page: 1 });
		});
		$('xp-lookup').addEventListener('submit', function (ev) {
			ev.preventDefault();
			var id = $('xp-id').value.trim();

			if (id)
				go({ id: id, page: 1 });
		});
		$('xp-newer').addEventListener('click', function () {
			var s = X.state;

			s.page = Math.max(1, s.page - 1);
			go(s);
		});
		$('xp-older').addEventListener('click', function () {
			var s = X.state;

			s.page++;
			go(s);
		});
		$('xp-more').addEventListener('click', function () { run(); });
		$('xp-csv').addEventListener('click', download);
		window.addEventListener('hashchange', function () { run(); });
		window.addEventListener('popstate', function () { run(); });
		X.download = download;
		X.ready = manifest().then(function (m) {
			if (m.explorer_days === 0) {
				note(T('xp_off'));
				return;
			}
			$('xp-filters').hidden = false;
			$('xp-lookup').hidden = false;
			return run();
		}).catch(function (e) {
			note(T('xp_failed', { what: e && e.message ? e.message :
			    BASE + 'index.json' }));
		});
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', init);
	else
		init();
}());
