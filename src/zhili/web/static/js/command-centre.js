/* 治理 Zhili — the command centre's big screen: one snapshot polled from the API, drawn with Leaflet and ECharts. */
(function () {
  'use strict';

  const root = document.getElementById('cc');
  if (!root || typeof window.L === 'undefined' || typeof echarts === 'undefined') return;
  const text = JSON.parse(root.dataset.text || '{}');
  const lang = root.dataset.lang === 'en' ? 'en' : 'zh';
  const locale = lang === 'en' ? 'en-GB' : 'zh-CN';
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // Quzhou time (UTC+8) as the server's `local` filter writes it: 2026-12-05 12:42, or 5 Dec 2026 12:42.
  function stamp(at, seconds) {
    const shifted = new Date(new Date(at).getTime() + 8 * 3600 * 1000);
    const iso = shifted.toISOString();
    const time = iso.slice(11, seconds ? 19 : 16);
    if (lang !== 'en') return `${iso.slice(0, 10)} ${time}`;
    return `${shifted.getUTCDate()} ${MONTHS[shifted.getUTCMonth()]} ${shifted.getUTCFullYear()} ${time}`;
  }
  const every = Math.max(5, Number(root.dataset.refresh) || 15) * 1000;
  const LIGHTS = { red: '#cf1322', yellow: '#d4b106', green: '#389e0d', none: '#8c8c8c' };

  // Leaflet's own buttons speak the page's language (its defaults are English).
  if (document.documentElement.lang !== 'en') Object.assign(L.Control.Zoom.prototype.options, { zoomInTitle: '放大', zoomOutTitle: '缩小' });
  const map = L.map('cc-map', { zoomControl: true, attributionControl: false, preferCanvas: true });
  map.setView([28.95, 118.85], 9);
  const counties = L.geoJSON(null, { style: { color: '#69b1ff', weight: 2, fill: false } }).addTo(map);
  const townships = L.geoJSON(null, { style: { color: '#1677ff', weight: 1, fillOpacity: 0.35, fillColor: '#0b2a4a' } }).addTo(map);
  const grids = L.geoJSON(null, { style: { color: '#3a5a7a', weight: 0.5, fill: false } });
  const cases = L.layerGroup().addTo(map);
  const heat = L.heatLayer([], { radius: 18, blur: 22, maxZoom: 13 }).addTo(map);
  const overlays = {};
  overlays[text.counties] = counties; overlays[text.townships] = townships; overlays[text.grids] = grids;
  overlays[text.cases] = cases; overlays[text.heat] = heat;
  // Open on a wide screen; folded behind its button on a phone, where it would cover a quarter of the map.
  const narrow = window.matchMedia('(max-width: 640px)').matches;
  const layerControl = L.control.layers(null, overlays, { collapsed: narrow }).addTo(map);
  if (document.documentElement.lang !== 'en') layerControl.getContainer().querySelector('.leaflet-control-layers-toggle').title = '图层';
  let fitted = false;
  let townshipVolumes = {};

  const charts = {
    trend: echarts.init(document.getElementById('cc-trend'), 'dark', { renderer: 'svg' }),
    matters: echarts.init(document.getElementById('cc-matters'), 'dark', { renderer: 'svg' }),
  };

  async function getJSON(url) {
    const answer = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!answer.ok) throw new Error(String(answer.status));
    return answer.json();
  }

  const asked = {};  // per level, the latest view asked for: a late answer for an older view is dropped
  async function loadLayer(layer, level, bbox) {
    const url = `${root.dataset.geoUrl}?level=${level}${bbox ? '&bbox=' + bbox : ''}`;
    const mine = (asked[level] = (asked[level] || 0) + 1);
    try {
      const data = await getJSON(url);
      if (mine !== asked[level]) return layer.getLayers().length;
      layer.clearLayers();
      layer.addData(data);
      root.dataset[`${level}Features`] = String(data.features.length);
      return data.features.length;
    } catch (error) {
      return 0;
    }
  }

  function shadeTownships() {
    const top = Math.max(1, ...Object.values(townshipVolumes));
    townships.setStyle((feature) => {
      const share = (townshipVolumes[feature.properties.code] || 0) / top;
      return { color: '#1677ff', weight: 1, fillOpacity: 0.15 + 0.55 * share, fillColor: share > 0.66 ? '#cf1322' : share > 0.33 ? '#fa8c16' : '#0958d9' };
    });
    townships.eachLayer((layer) => {
      const p = layer.feature.properties;
      layer.bindTooltip(`${p.name} · ${text.volume} ${townshipVolumes[p.code] || 0}`);
    });
  }

  function pct(value) { return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`; }
  function figure(tile) {
    if (tile.value === null || tile.value === undefined) return '—';
    if (tile.unit === 'rate') return pct(tile.value);
    if (tile.unit === 'hours') return tile.value.toFixed(1);
    return Number(tile.value).toLocaleString(locale);
  }
  function compact(value) {
    const units = lang === 'en' ? [[1e6, 'M'], [1e3, 'k']] : [[1e8, '亿'], [1e4, '万'], [1e3, '千']];
    const unit = units.find(([size]) => Math.abs(value) >= size);
    return unit ? `${+(value / unit[0]).toFixed(1)}${unit[1]}` : String(value);
  }
  // A step between value labels that leaves each about 30 px of the axis (`room`), for counts up to `top`.
  function stepFor(top, room) {
    const raw = Math.max(1, top) / Math.max(1, Math.floor(room / 30));
    const power = 10 ** Math.floor(Math.log10(raw));
    return Math.max(1, [1, 2, 2.5, 5, 10].map((f) => f * power).find((step) => step >= raw));  // whole cases
  }
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      // A style is set through the CSSOM: a `style` attribute is refused by the page's CSP (style-src 'self').
      if (key === 'text') node.textContent = value; else if (key === 'style') Object.assign(node.style, value); else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  function drawTiles(data) {
    const list = document.getElementById('cc-tiles');
    list.replaceChildren(...data.tiles.map((tile) => el('li', { 'data-tile': tile.key }, [
      el('span', { class: 'cc-value', text: figure(tile) }), el('span', { class: 'cc-label', text: text[tile.key] || tile.key }),
    ])));
    const lights = document.getElementById('cc-lights');
    // Each light opens the case queue at the cases of that light.
    lights.replaceChildren(...['red', 'yellow', 'green'].map((light) => el('li', { class: `light-${light}`, 'data-light': light }, [
      el('a', { href: `/cases?light=${light}` }, [
        el('span', { class: 'cc-value', text: String(data.lights[light] || 0) }), el('span', { class: 'cc-label', text: text[light] }),
      ]),
    ])));
  }

  function drawCharts(data) {
    charts.trend.setOption({
      backgroundColor: 'transparent', tooltip: { trigger: 'axis' }, grid: { left: 44, right: 44, top: 24, bottom: 24 },
      xAxis: { type: 'category', data: data.trend.map((b) => b.label) },
      yAxis: [{ type: 'value' }, { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } }],
      series: [
        { name: text.volume, type: 'bar', data: data.trend.map((b) => b.volume), itemStyle: { color: '#1677ff' } },
        { name: text.on_time_rate, type: 'line', yAxisIndex: 1, data: data.trend.map((b) => (b.on_time_rate === null ? null : +(b.on_time_rate * 100).toFixed(1))) },
      ],
    });
    charts.matters.setOption({
      backgroundColor: 'transparent', tooltip: {}, grid: { left: 8, right: 16, top: 8, bottom: 20, containLabel: true },
      // Few, short labels: a city's counts in thousands ran together ("1,0002,0003,000") on the narrow panel,
      // whose value axis gets what the matter names leave (the chart's width less about 150 px).
      xAxis: {
        type: 'value', minInterval: stepFor(Math.max(0, ...data.matters.map((b) => b.volume)), charts.matters.getWidth() - 150),
        axisLabel: { formatter: compact, hideOverlap: true },
      },
      yAxis: { type: 'category', inverse: true, data: data.matters.map((b) => b.label), axisLabel: { width: 130, overflow: 'truncate' } },
      series: [{ name: text.volume, type: 'bar', data: data.matters.map((b) => b.volume), itemStyle: { color: '#13c2c2' } }],
    });
  }

  function drawLists(data) {
    const areas = [...data.areas].sort((a, b) => b.volume - a.volume);
    document.getElementById('cc-areas').replaceChildren(...(areas.length ? areas : []).map((bar) => el('li', { 'data-area': bar.key }, [
      // Each area opens its KPI page, where its figures break down by matter and unit.
      el('a', { class: 'name', translate: 'no', href: `/kpis?area=${encodeURIComponent(bar.key)}`, text: bar.label }),
      el('span', { class: 'num', text: String(bar.volume) }),
      el('span', { class: 'rate', text: pct(bar.on_time_rate) }),
    ])));
    const boards = document.getElementById('cc-campaigns');
    boards.replaceChildren(...(data.campaigns.length ? data.campaigns.map((c) => el('li', { 'data-campaign': String(c.id) }, [
      el('a', { href: `/campaigns/${c.id}/board`, translate: 'no', text: c.title }),
      el('div', { class: 'bar' }, [el('span', { class: 'claimed', style: { width: `${(c.claim_rate * 100).toFixed(1)}%` } }),
        el('span', { class: 'finished', style: { width: `${(c.finish_rate * 100).toFixed(1)}%` } })]),
      el('small', { text: `${text.claimed} ${c.claimed}/${c.recipients} · ${text.finished} ${c.finished} · ${text.overdue} ${c.overdue}` }),
    ])) : [el('li', { text: text.none })]));
    const warnings = document.getElementById('cc-warnings');
    warnings.replaceChildren(
      el('ul', { class: 'cc-grades' }, ['3', '2', '1'].map((g) => el('li', { class: `grade-${g}` }, [
        el('span', { class: 'cc-value', text: String(data.warnings[g] || 0) }), el('span', { class: 'cc-label', text: text[`grade${g}`] }),
      ]))),
      el('p', { text: `${text.precision} ${pct(data.warning_precision)}` }),
      el('p', { id: 'cc-lead', text: `${text.lead} ${months(data.warning_lead_months)}` }),
    );
  }

  function say(template, n) { return String(template || '').replace('{n}', String(n)); }
  function months(n) { return n == null ? '—' : say(n === 1 ? text.lead_month : text.lead_months, n); }
  function ago(at, now) {
    const minutes = Math.max(0, Math.floor((new Date(now) - new Date(at)) / 60000));
    if (minutes < 1) return text.just_now;
    if (minutes < 60) return say(text.minutes_ago, minutes);
    if (minutes < 24 * 60) return say(text.hours_ago, Math.floor(minutes / 60));
    return stamp(at, false);
  }

  function drawGroups(data) {
    const panel = data.command_groups;
    document.getElementById('cc-group-counts').textContent = `${text.state_active} ${panel.active} · ${text.state_stable} ${panel.stable}`;
    const rows = panel.groups.map((g) => el('li', { 'data-group': String(g.id), class: `state-${g.state}` }, [
      el('a', { href: `/groups/${g.id}` }, [el('span', { class: 'num', translate: 'no', text: g.number }), el('span', { translate: 'no', text: ` ${g.title}` })]),
      el('div', {}, [
        el('span', { class: `cc-state state-${g.state}`, text: text[`state_${g.state}`] || '' }),
        el('span', { translate: 'no', text: ` ${g.area_name} · ${say(text.group_members, g.members)} · ${say(text.group_open, g.open_instructions)}` }),
        ...(g.overdue_instructions ? [el('span', { class: 'overdue', 'data-overdue': String(g.overdue_instructions), text: ` · ${say(text.group_overdue, g.overdue_instructions)}` })] : []),
      ]),
      el('small', { text: ago(g.last_activity_at, data.as_of), title: stamp(g.last_activity_at, false) }),
    ]));
    document.getElementById('cc-groups').replaceChildren(...(rows.length ? rows : [el('li', { text: text.none })]));
  }

  function drawCases(data) {
    cases.clearLayers();
    data.points.forEach((p) => {
      L.circleMarker([p.lat, p.lon], { radius: 4, weight: 1, color: LIGHTS[p.light || 'none'], fillOpacity: 0.9 })
        .bindPopup(() => el('div', {}, [el('strong', { text: p.number }), el('div', { text: p.matter }),
          el('a', { href: `/cases/${p.id}`, text: text.open_case })]))
        .addTo(cases);
    });
    root.dataset.points = String(data.points.length);
    heat.setLatLngs(data.points.map((p) => [p.lat, p.lon, p.light === 'red' ? 1 : 0.5]));
    townshipVolumes = {};
    if (data.area_level === 'township') data.areas.forEach((bar) => { townshipVolumes[bar.key] = bar.volume; });
    document.getElementById('cc-legend').hidden = data.area_level !== 'township';
    shadeTownships();
  }

  async function refresh() {
    try {
      const data = await getJSON(root.dataset.url);
      // A department's reader counts its own units' cases: the title says whose, not the area's alone.
      document.getElementById('cc-area').textContent = [data.area_label, ...(data.units || [])].join(' · ');
      document.getElementById('cc-refreshed').textContent = data.refreshed_at ? stamp(data.refreshed_at, false) : '—';
      drawTiles(data); drawCharts(data); drawLists(data); drawGroups(data); drawCases(data);
      root.dataset.ready = 'true';
      root.classList.remove('stale');
    } catch (error) {
      root.classList.add('stale');
      document.getElementById('cc-refreshed').textContent = text.failed;
    }
  }

  async function start() {
    await loadLayer(counties, 'county');
    await loadLayer(townships, 'township');
    const bounds = (townships.getLayers().length ? townships : counties).getBounds();
    if (bounds.isValid() && !fitted) { map.fitBounds(bounds, { padding: [8, 8] }); fitted = true; }
    await refresh();
    window.setInterval(refresh, every);
  }
  map.on('zoomend moveend', () => {
    if (map.getZoom() >= 13 && map.hasLayer(grids)) loadLayer(grids, 'grid', map.getBounds().toBBoxString());
  });
  function tick() { document.getElementById('cc-clock').textContent = stamp(Date.now(), true); }
  tick(); window.setInterval(tick, 1000);
  window.addEventListener('resize', () => { charts.trend.resize(); charts.matters.resize(); map.invalidateSize(); });
  start();
})();
