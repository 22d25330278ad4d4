/* 治理 Zhili — pick where a problem is: tap the map (your own area first), or use the phone's position. */
(function () {
  'use strict';

  const el = document.getElementById('point-picker');
  const form = el && el.closest('form');
  if (!el || !form || typeof window.L === 'undefined') return;
  const lonInput = form.querySelector('[name=lon]');
  const latInput = form.querySelector('[name=lat]');
  const picked = document.getElementById('picked');
  const gps = document.getElementById('use-gps');

  const TEXT = {
    zh: { at: '所在位置：', outside: '该位置不在已知区县范围内，请重新选点', elsewhere: '该位置不在您的辖区内，仍可上报，将转由当地处理', failed: '暂时无法确定位置，请稍后再试', noGps: '无法获取定位，请在地图上选点' },
    en: { at: 'Location: ', outside: 'That point is outside every known county; pick again', elsewhere: 'That point lies outside your area; you may still report it, and it goes to the units there', failed: 'Could not look the point up; try again', noGps: 'No position from the device; pick on the map' },
  }[el.dataset.lang === 'en' ? 'en' : 'zh'];
  const QUZHOU = [[28.2, 118.0], [29.5, 119.3]];

  // Leaflet's own buttons speak the page's language (its defaults are English).
  if (document.documentElement.lang !== 'en') Object.assign(L.Control.Zoom.prototype.options, { zoomInTitle: '放大', zoomOutTitle: '缩小' });
  const map = L.map(el, { zoomControl: true, attributionControl: false, minZoom: 8 });
  const area = (el.dataset.area || '').split(',').map(Number);
  const bounds = area.length === 4 && area.every(Number.isFinite)
    ? [[area[1], area[0]], [area[3], area[2]]] : QUZHOU;
  map.fitBounds(bounds);

  const outline = L.geoJSON(null, { style: { color: '#1d4e89', weight: 1.5, fillOpacity: 0.03 }, interactive: false }).addTo(map);
  const grids = L.geoJSON(null, { style: { color: '#7b8794', weight: 0.75, dashArray: '2 3', fillOpacity: 0 }, interactive: false }).addTo(map);

  async function json(url) {
    const resp = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await resp.json(); } catch (e) { body = null; }
    return { ok: resp.ok, status: resp.status, body: body };
  }
  const bbox = (b) => [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((n) => n.toFixed(5)).join(',');

  async function drawOutlines() {
    const found = await json(`${el.dataset.geoUrl}?level=township&bbox=${bbox(L.latLngBounds(bounds))}`);
    if (found.ok && found.body) outline.addData(found.body);
  }
  let drawn = 0;
  async function drawGrids() {
    const mine = ++drawn;
    if (map.getZoom() < 13) { grids.clearLayers(); return; }
    const found = await json(`${el.dataset.geoUrl}?level=grid&bbox=${bbox(map.getBounds())}`);
    if (mine !== drawn) return;  // the map moved again while this view's grids were on their way
    grids.clearLayers();
    if (found.ok && found.body) grids.addData(found.body);
  }

  let marker = null;
  let asked = 0;  // the latest point asked about: an older answer arriving late must not overwrite its reply
  function show(message, isError) {
    if (!picked) return;
    picked.textContent = message;
    picked.classList.toggle('field-error', Boolean(isError));
  }
  async function place(lat, lon, fromInputs) {
    if (!marker) marker = L.marker([lat, lon]).addTo(map); else marker.setLatLng([lat, lon]);
    if (!fromInputs) {
      lonInput.value = lon.toFixed(6);
      latInput.value = lat.toFixed(6);
    }
    const mine = ++asked;
    const found = await json(`${el.dataset.locateUrl}?lon=${lon}&lat=${lat}`);
    if (mine !== asked) return;
    if (found.ok && found.body && found.body.chain) {
      show(TEXT.at + found.body.chain.slice(2).map((d) => d.name).join(' · '), false);
    } else if (found.status === 404 && found.body && found.body.outside === 'area') {
      show(TEXT.elsewhere, false);  // anyone may report anywhere: the place's own units handle it
    } else {
      show(found.status === 404 || found.status === 422 ? TEXT.outside : TEXT.failed, true);
    }
  }

  map.on('click', (e) => place(e.latlng.lat, e.latlng.lng, false));
  map.on('moveend', drawGrids);
  function fromInputs() {
    const lon = parseFloat(lonInput.value);
    const lat = parseFloat(latInput.value);
    if (Number.isFinite(lon) && Number.isFinite(lat)) {
      place(lat, lon, true);
      map.setView([lat, lon], Math.max(map.getZoom(), 14));
    }
  }
  lonInput.addEventListener('change', fromInputs);
  latInput.addEventListener('change', fromInputs);
  if (gps) {
    gps.addEventListener('click', () => {
      if (!navigator.geolocation) { show(TEXT.noGps, true); return; }
      navigator.geolocation.getCurrentPosition(
        (p) => { place(p.coords.latitude, p.coords.longitude, false); map.setView([p.coords.latitude, p.coords.longitude], 15); },
        () => show(TEXT.noGps, true),
        { enableHighAccuracy: true, timeout: 10000 },
      );
    });
  }
  drawOutlines();
  drawGrids();
  fromInputs();
  window.zhiliPicker = map;  // for tests and for scripts that put a point on it
  el.dataset.ready = '1';
}());
